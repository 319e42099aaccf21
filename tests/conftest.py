"""Shared fixtures: one session-wide build of the committed sample. (Benchmarks are scripts in bench/.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import warehouse
from dashboard.build import build

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "sample"


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory) -> Path:
    """A data directory with the committed sample built and published once for the whole session."""
    data = tmp_path_factory.mktemp("sample-data")
    build(SAMPLE, data)
    return data


@pytest.fixture(scope="session")
def sample_warehouse(sample_data_dir) -> warehouse.Published:
    return warehouse.current(sample_data_dir)


@pytest.fixture()
def sample_env(sample_data_dir, monkeypatch):
    """Point the app and the CLI at the sample data directory."""
    monkeypatch.setenv("DASHBOARD_DATA_DIR", str(sample_data_dir))
    return sample_data_dir


@pytest.fixture(scope="session")
def served_app(sample_data_dir) -> str:
    """The app served by `streamlit run` on loopback over the sample, once for the session: its base URL."""
    import subprocess

    from tests.browser.conftest import free_port, start_app

    port = free_port()
    proc = start_app(sample_data_dir, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
