"""A Streamlit session without a browser: open the app's websocket, run one link, keep what the page drew.

It speaks Streamlit 1.67's internal protocol as the browser does (binary `BackMsg` in, `ForwardMsg` out over
`/_stcore/stream`, subprotocol `streamlit`): internal messages, pinned in pyproject.toml, re-check on upgrade.
Used by bench/bench_sessions.py and tests/test_sessions.py. Every wait is bounded by a deadline.
"""
from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

# A published data version id as the footer shows it (dashboard.contract.VERSION_RE, unanchored).
VERSION_RE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")
# Elements whose text a reader sees; the footer caption is a markdown element.
TEXT_FIELDS = {"markdown": "body", "heading": "body", "alert": "body", "text": "body", "exception": "message"}
_FINISHED = ForwardMsg.ScriptFinishedStatus


@dataclass
class Session:
    """One session's run of one link: timings (monotonic seconds), what it drew, and what went wrong."""

    link: str
    started: float = 0.0
    connected: float | None = None
    finished: float | None = None
    status: str | None = None  # ScriptFinishedStatus name of the last run
    texts: list[str] = field(default_factory=list)
    elements: Counter = field(default_factory=Counter)
    exceptions: list[str] = field(default_factory=list)
    failure: str | None = None  # could not connect, timed out, closed, page not found
    runs: int = 0  # script runs the server started (new_session messages); a st.rerun makes it more than 1
    bytes_received: int = 0

    @property
    def ok(self) -> bool:
        return self.finished is not None and not self.failure and not self.exceptions

    @property
    def seconds(self) -> float | None:
        """From the start of the page load (HTTP GET, then websocket) to script_finished."""
        return None if self.finished is None else self.finished - self.started

    @property
    def versions(self) -> list[str]:
        """Every data version id the page's text names, in order of first appearance."""
        return list(dict.fromkeys(m for text in self.texts for m in VERSION_RE.findall(text)))

    @property
    def footer_version(self) -> str | None:
        """The version in the last text that names one: the footer caption, drawn last on every page."""
        for text in reversed(self.texts):
            found = VERSION_RE.findall(text)
            if found:
                return found[-1]
        return None

    @property
    def errors(self) -> int:
        return len(self.exceptions) + (1 if self.failure else 0)


def split_link(link: str) -> tuple[str, str, str]:
    """'/payments?branch=PC08FF' -> (path, page_name, query_string) as the browser sends them: page_name is the
    path without its slash (empty for the default page at '/'), the query string without its '?'."""
    parts = urlsplit(link)
    path = parts.path or "/"
    return path, path.strip("/"), parts.query


def rerun_message(link: str, base_url: str) -> bytes:
    """The first BackMsg a browser sends once the socket is open (see the frontend's App.sendRerunBackMsg)."""
    _, page_name, query = split_link(link)
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_name = page_name
    state.page_script_hash = ""
    state.context_info.timezone = "Asia/Ho_Chi_Minh"
    state.context_info.timezone_offset = -420
    state.context_info.locale = "vi-VN"
    state.context_info.url = base_url.rstrip("/") + link
    return msg.SerializeToString()


async def load_page(base_url: str, path: str, timeout: float) -> tuple[int, str]:
    """GET the page as a browser does before it opens the socket; returns the status and a Cookie header made of
    the response's Set-Cookie values (a load balancer's affinity cookie). Reads the headers only."""
    parts = urlsplit(base_url)
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
                         "Accept: text/html\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        finally:
            writer.close()
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    cookies = [line.split(":", 1)[1].strip().split(";", 1)[0] for line in lines[1:]
               if line.lower().startswith("set-cookie:")]
    return status, "; ".join(cookies)


async def run_link(base_url: str, link: str, *, timeout: float = 120.0, hold: asyncio.Event | None = None,
                   hold_timeout: float = 600.0, on_connect=None, on_done=None, load_first: bool = True) -> Session:
    """Open one session on `link` and read until the page's script has finished (or `timeout` has passed).

    With `hold`, the socket stays open after the run until the event is set (or `hold_timeout`), as a browser tab
    stays open: sessions opened together then also live together. `on_connect(session)` is called once the socket
    is open, `on_done(session)` once the run has finished or failed. `load_first` GETs the page first, as a browser
    does (and keeps the cookies it sets: a load balancer's affinity cookie). Never raises for the server's sake:
    what went wrong is in `Session.failure`.
    """
    session = Session(link, started=time.monotonic())
    ws_url = urlsplit(base_url)._replace(scheme="ws", path="/_stcore/stream", query="").geturl()
    reported = False

    def report() -> None:
        nonlocal reported
        if not reported and on_done is not None:
            on_done(session)
        reported = True

    try:
        async with asyncio.timeout(timeout) as budget:
            headers = {}
            if load_first:
                status, cookie = await load_page(base_url, link, timeout)
                if status != 200:
                    session.failure = f"GET {link} answered {status}"
                    return session
                if cookie:
                    headers["Cookie"] = cookie
            async with connect(ws_url, subprotocols=["streamlit"], additional_headers=headers, max_size=None,
                               ping_interval=None, open_timeout=timeout, close_timeout=5) as ws:
                session.connected = time.monotonic()
                if on_connect is not None:
                    on_connect(session)
                await ws.send(rerun_message(link, base_url))
                await _read_until_finished(ws, session)
                report()
                budget.reschedule(None)  # the run is over: from here only the hold's own deadline counts
                if hold is not None and session.finished is not None:
                    try:
                        async with asyncio.timeout(hold_timeout):
                            await hold.wait()
                    except TimeoutError:
                        pass
    except TimeoutError:
        if session.finished is None:
            session.failure = f"no script_finished within {timeout:.0f} s"
    except Exception as exc:  # noqa: BLE001 - a load test reports every way a session can fail
        if session.finished is None:
            session.failure = session.failure or f"{type(exc).__name__}: {exc}"
    finally:
        report()
    return session


async def _read_until_finished(ws, session: Session) -> None:
    async for data in ws:
        session.bytes_received += len(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            # a new run starts: what an earlier run drew is replaced, as in the browser
            session.runs += 1
            session.texts.clear()
            session.elements.clear()
            session.exceptions.clear()
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            name = element.WhichOneof("type")
            session.elements[name] += 1
            if name in TEXT_FIELDS:
                session.texts.append(getattr(getattr(element, name), TEXT_FIELDS[name]))
            if name == "exception":
                session.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "page_not_found":
            # the message's page_name is empty under st.navigation: name the page the link asked for
            session.failure = f"page not found: {split_link(session.link)[1]!r}"
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            exc = msg.session_event.script_compilation_exception
            session.exceptions.append(f"{exc.type}: {exc.message}")
        elif kind == "script_finished":
            session.status = _FINISHED.Name(msg.script_finished)
            if msg.script_finished == _FINISHED.FINISHED_EARLY_FOR_RERUN:
                continue  # the script asked for a rerun: the page is the next run's
            session.finished = time.monotonic()
            if msg.script_finished == _FINISHED.FINISHED_WITH_COMPILE_ERROR and not session.exceptions:
                session.exceptions.append("script finished with a compile error")
            return
    session.failure = session.failure or "the server closed the socket before script_finished"


async def open_together(base_url: str, link: str, n: int, *, timeout: float = 120.0, ramp: float = 0.0,
                        on_connect=None, on_done=None) -> list[Session]:
    """`n` sessions on one link at once (or started evenly over `ramp` seconds). All stay open until every one
    has finished or failed (bounded by `timeout` after the last start), then close together."""
    hold = asyncio.Event()
    everyone = asyncio.Event()
    count = 0

    def done(session: Session) -> None:
        nonlocal count
        count += 1
        if on_done is not None:
            on_done(session)
        if count == n:
            everyone.set()

    async def one(i: int) -> Session:
        if ramp and n > 1:
            await asyncio.sleep(ramp * i / (n - 1))
        return await run_link(base_url, link, timeout=timeout, hold=hold, hold_timeout=timeout + ramp + 10,
                              on_connect=on_connect, on_done=done)

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    try:
        async with asyncio.timeout(timeout + ramp + 5):
            await everyone.wait()
    except TimeoutError:
        pass
    hold.set()
    return list(await asyncio.gather(*tasks))


def sessions(base_url: str, link: str, n: int, timeout: float = 120.0) -> list[Session]:
    """Blocking form of open_together, for tests."""
    # in a thread of its own: the caller may already run an event loop (Playwright's sync API leaves one running
    # in the main thread of a test session), and asyncio.run refuses to nest
    out: list = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(open_together(base_url, link, n,
                                                                                  timeout=timeout))))
    runner.start()
    runner.join(timeout * 2 + 30)
    if not out:
        raise RuntimeError(f"{n} sessions on {link} did not finish within {timeout * 2 + 30:g} s")
    return out[0]
