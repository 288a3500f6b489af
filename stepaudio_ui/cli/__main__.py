"""`python -m stepaudio_ui.cli`: the same as the `stepaudio-ui` command."""

from stepaudio_ui.cli import main

raise SystemExit(main())
