"""The generated files in the repo must match what the code generates now."""

from schemas import export
from services.ingest import openapi


def test_json_schemas_match_the_models() -> None:
    for name, text in export.rendered().items():
        on_disk = (export.JSON_DIR / name).read_text()
        assert on_disk == text, f"schemas/json/{name} drifted from the models: run `make schemas`"


def test_every_exported_schema_is_versioned() -> None:
    for name, model in export.EXPORTED.items():
        if name.endswith("-submission"):
            continue  # a client's request, not a message on a topic
        assert "schema_version" in model.model_fields, name


def test_openapi_document_matches_the_app() -> None:
    assert openapi.EXPORT_PATH.read_text() == openapi.rendered(), "run `make schemas` to refresh docs/openapi"


def test_openapi_document_describes_the_article_body() -> None:
    import json

    document = json.loads(openapi.rendered())
    body = document["paths"]["/v1/articles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ArticleSubmission"}
    assert "headline" in document["components"]["schemas"]["ArticleSubmission"]["properties"]
