"""Flask: the JSON echo, served by gunicorn with one sync worker (see gunicorn_conf.py)."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/Echo/echo")
def echo() -> Response:
    return jsonify(request.get_json()["message"])
