"""Developer tooling, outside the product: embedded servers and `make run`'s dev server, demo
and history seeding, scale generators, `make bench` and `make loadtest`.

The product packages never import it (import-linter's contract in .importlinter). It is a
Django app only so that `manage.py seed_demo` and `manage.py generate_scale` exist; settings
install it when DEBUG or SPINK_DEVTOOLS is on, which `make run`, `make test`, `make bench`
and `make loadtest` set. The production image has neither.
"""
