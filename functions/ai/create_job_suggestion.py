"""POST /v1/ai/job-suggestions — a price range and timeline for a job about to be posted."""

from pydantic import ConfigDict, Field

from khaya.ai import suggestions
from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.market.catalog import Category, CityText
from khaya.money import Currency

router = Router()


class SuggestionIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=120)
    description: str = Field(min_length=1, max_length=5000)
    category: Category
    city: CityText
    currency: Currency | None = None


@router.post(
    "/v1/ai/job-suggestions",
    summary="Suggest a price range and timeline for a job",
    description=(
        "Clients only. The currency defaults to the city's country's (a town not in the catalogue: the "
        "caller's phone region's; neither known: 422 `currency_unknown`); `source` says whether Bedrock or the local "
        "method answered (the local method answers whenever Bedrock cannot). One of the caller's daily AI "
        "requests: 429 `ai_quota_exceeded` with `Retry-After` once they are used."
    ),
    tags=["ai"],
    responses={
        200: {"description": "The suggestion"},
        403: {"description": "Not a client"},
        422: {"description": "No currency given and none known for the city or the caller"},
        429: {"description": "Daily AI quota used"},
    },
)
def create_job_suggestion(body: SuggestionIn) -> suggestions.Suggestion:
    who = require_role("client", "admin")
    return suggestions.suggest_for(who.user_id, body.model_dump())


handler = make_handler(router)
