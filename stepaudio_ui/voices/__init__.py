"""Voice cards: what each engine's voices are (model, licence, source, consent), custom voices included.

The stored custom voices themselves (rows, reference clips, their checks) live in `studio`; here is what a
card says about a voice and what an engine does with a custom one (`engine_clips`). May import `studio` and
`model`.
"""
