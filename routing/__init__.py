"""Lotse's routing domain: OpenStreetMap import, the walk graph, planning and guidance.

Plain Python with no web framework import, so it runs from the command line, in tests and in the server alike.
"""
