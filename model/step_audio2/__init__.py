"""Step-Audio 2 mini on a GPU (optional `gpu` extra): `parts` is pure and tested everywhere, `engine` needs torch."""
