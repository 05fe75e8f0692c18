"""`siyu autobid bench` (registered on siyu.cli_autobid.autobid_app)."""
