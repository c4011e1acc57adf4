"""Thin HTTP endpoints: parse the request, call the protocol module, render the answer."""
