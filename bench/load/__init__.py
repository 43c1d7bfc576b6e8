"""The side-by-side load benchmark of the end-to-end example apps (examples/e2e): each app
served on 127.0.0.1, loaded with wrk, stock and webaccel variants alternated. See __main__.py."""
