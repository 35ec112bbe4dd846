"""/docs works with no outside host and no inline script (the CSP forbids both)."""

from html.parser import HTMLParser


class Assets(HTMLParser):
    """The scripts and stylesheets a page loads, and any inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._tag = tag
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))
        if "style" in found or any(name.startswith("on") for name in found):
            self.inline.append(f"{tag} attribute")

    def handle_data(self, data: str) -> None:
        if self._tag in ("script", "style") and data.strip():
            self.inline.append(f"{self._tag}: {data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._tag = None


def test_docs_load_only_this_servers_files_and_no_inline_script(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Assets()
    page.feed(response.text)
    assert page.inline == []
    assert page.urls == [
        "/docs/static/swagger-ui.css",
        "/docs/static/favicon-32x32.png",
        "/docs/static/swagger-ui-bundle.js",
        "/docs/assets/docs.js",
    ]
    for url in page.urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    assert 'data-openapi-url="/openapi.json"' in response.text


def test_the_docs_script_starts_swagger_ui_on_the_schema(client):
    script = client.get("/docs/assets/docs.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "SwaggerUIBundle(" in script.text
    assert "dataset.openapiUrl" in script.text
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Dyad"
    assert "/v1/events" in schema["paths"]
