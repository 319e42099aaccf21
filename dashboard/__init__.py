"""Digital-services dashboard for a provincial power company (modelled on PC Phú Yên)."""

__version__ = "0.5.0"
