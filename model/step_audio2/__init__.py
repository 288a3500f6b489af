"""Step-Audio 2 mini on a GPU (optional `gpu` extra): `parts` is pure and tested everywhere, `weights` says
whether this machine can run it and loads it, `engine` (the sessions) needs torch."""
