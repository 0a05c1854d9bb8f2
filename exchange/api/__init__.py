"""HTTP surfaces of the hub. Handlers are thin: logic lives in plain functions elsewhere."""

from exchange.api.app import create_app

__all__ = ["create_app"]
