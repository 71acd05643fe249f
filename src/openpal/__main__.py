"""`python -m openpal` = the `openpal` command."""

from openpal.cli.main import main

main()
