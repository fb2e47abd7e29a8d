"""The OpenAPI docs page at /docs, with Swagger UI's files served from the swagger-ui-bundle package.

FastAPI's own /docs loads Swagger UI from a CDN and a favicon from fastapi.tiangolo.com; this one
loads nothing from anywhere but this server, and asks no outside validator about the schema.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def install(app: FastAPI) -> None:
    """Serve /docs and its assets (``ARCHIVE_API_DOCS``); /openapi.json is FastAPI's own."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} · docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png", swagger_ui_parameters={"validatorUrl": None})
