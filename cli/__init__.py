"""The `njia` command line (`njia = cli.main:main`)."""
