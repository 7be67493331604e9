"""Built web console assets (see console/ at the repo root)."""
