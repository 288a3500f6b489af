"""Benchmarks run by `stepaudio-ui bench ...`; each module has `add_arguments(parser)` and `run(args, settings)`."""
