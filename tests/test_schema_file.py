"""schema.graphql is the served schema, so API changes show up in review."""

from pathlib import Path

from gql.schema import create_schema
from gql.settings import Settings

SCHEMA_FILE = Path(__file__).parents[1] / "schema.graphql"


def test_the_committed_schema_matches_the_served_one(settings: Settings) -> None:
    served = create_schema(settings).as_str() + "\n"
    assert SCHEMA_FILE.read_text() == served, (
        "schema.graphql is out of date: run `./dev.sh schema > schema.graphql` and commit it"
    )
