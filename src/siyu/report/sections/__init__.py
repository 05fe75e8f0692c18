"""Report sections, one module per capability; each registers its sections with :func:`siyu.report.register_section`."""
