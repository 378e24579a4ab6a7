"""The scoring service's routes."""

from services.scoring.api import calls, reviews

routers = [reviews.router, calls.router]
