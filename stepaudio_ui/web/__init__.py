"""The HTTP boundary: sign-in and roles, password hashes, host names, upload limits, downloads, hosting.

Small pieces `server` assembles in front of the app. May import `studio` (roles); never the UI.
"""
