"""Digital-services dashboard for a provincial power company (modelled on PC Phú Yên)."""
