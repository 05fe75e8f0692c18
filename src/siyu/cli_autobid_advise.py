"""`siyu autobid advise` (registered on siyu.cli_autobid.autobid_app)."""
