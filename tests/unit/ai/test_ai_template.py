"""template.yaml keeps the AI functions' promises: least-privilege Bedrock access, time budgets,
a reliable stream consumer, numpy only where ranking happens, the backend chosen by configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local.cfn import ROOT, functions, load_template
from local.intrinsics import ACCOUNT, Resolver

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
BY_ID = {f.logical_id: f for f in functions()}
AI_ROUTES = {
    "CreateJobSuggestionFunction": ("POST", "/v1/ai/job-suggestions"),
    "SearchJobsFunction": ("GET", "/v1/jobs/search"),
    "SummariseConversationFunction": ("POST", "/v1/conversations/{id}/summary"),
}
TEXT_MODEL_USERS = {"CreateJobSuggestionFunction", "SummariseConversationFunction", "AiEnrichFunction"}
EMBEDDING_USERS = {"SearchJobsFunction", "AiEnrichFunction"}


def policy(name: str, **params: str) -> list[dict]:
    doc = Resolver(TEMPLATE, {"Stage": "prod", **params}).resolve(RESOURCES[name]["Properties"]["PolicyDocument"])
    return [st for st in doc["Statement"] if st]  # an !If that chose AWS::NoValue


def test_the_text_model_is_invokable_only_through_its_inference_profile():
    profile = f"arn:aws:bedrock:eu-central-1:{ACCOUNT}:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert policy("BedrockTextModelPolicy") == [
        {"Sid": "InvokeTheInferenceProfile", "Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": profile},
        {
            "Sid": "InvokeItsModelOnlyThroughTheProfile",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            # every region the profile may route to, but only through the profile
            "Resource": "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
            "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile}},
        },
    ]


@pytest.mark.parametrize(
    "profile,model",
    [
        ("us.amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0"),
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("apac.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"),
    ],
)
def test_the_foundation_model_follows_from_any_profile_id(profile, model):
    statements = policy("BedrockTextModelPolicy", BedrockTextProfileId=profile, BedrockRegion="us-east-1")
    assert statements[0]["Resource"].endswith(f":inference-profile/{profile}")
    assert statements[1]["Resource"] == f"arn:aws:bedrock:*::foundation-model/{model}"
    pattern = TEMPLATE["Parameters"]["BedrockTextProfileId"]["AllowedPattern"]
    assert re.fullmatch(pattern, profile)


def test_the_profile_parameter_refuses_a_bare_model_id():
    pattern = TEMPLATE["Parameters"]["BedrockTextProfileId"]["AllowedPattern"]
    assert re.fullmatch(pattern, TEMPLATE["Parameters"]["BedrockTextProfileId"]["Default"])
    assert not re.fullmatch(pattern, "anthropic.claude-haiku-4-5-20251001-v1:0")


def test_a_guardrail_is_applied_only_when_one_is_configured():
    assert not [st for st in policy("BedrockTextModelPolicy") if st["Action"] == "bedrock:ApplyGuardrail"]
    guarded = [
        st for st in policy("BedrockTextModelPolicy", BedrockGuardrailId="gr1") if st.get("Sid") == "ApplyTheGuardrail"
    ]
    assert guarded == [
        {
            "Sid": "ApplyTheGuardrail",
            "Effect": "Allow",
            "Action": "bedrock:ApplyGuardrail",
            "Resource": f"arn:aws:bedrock:eu-central-1:{ACCOUNT}:guardrail/gr1",
        }
    ]


def test_the_embedding_model_is_one_foundation_model_in_the_bedrock_region():
    assert policy("BedrockEmbeddingModelPolicy") == [
        {
            "Sid": "InvokeTheEmbeddingModel",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": "arn:aws:bedrock:eu-central-1::foundation-model/amazon.titan-embed-text-v2:0",
        }
    ]


def test_each_model_policy_is_attached_only_where_that_model_is_called():
    def users(name: str) -> set[str]:
        return {lid for lid, fn in BY_ID.items() if {"Ref": name} in (fn.properties.get("Policies") or [])}

    assert users("BedrockTextModelPolicy") == TEXT_MODEL_USERS
    assert users("BedrockEmbeddingModelPolicy") == EMBEDDING_USERS
    for fn in BY_ID.values():  # and no function grants itself Bedrock any other way
        assert "bedrock:" not in json.dumps(fn.properties.get("Policies") or [])


def test_ai_routes_exist_and_write_nothing_but_their_quota_counter_and_summary_cache():
    for lid, (method, path) in AI_ROUTES.items():
        fn = BY_ID[lid]
        assert [(r.method, r.path, r.public) for r in fn.routes] == [(method, path, False)]
        writes = [
            st
            for policy_ in fn.properties["Policies"]
            if isinstance(policy_, dict) and "Statement" in policy_
            for st in policy_["Statement"]
            if "dynamodb:UpdateItem" in st["Action"] or "dynamodb:PutItem" in st["Action"]
        ]
        allowed = ["AIQUOTA#*", "CONV#*"] if lid == "SummariseConversationFunction" else ["AIQUOTA#*"]
        assert [st["Action"] for st in writes] == [["dynamodb:UpdateItem"]], lid
        assert writes[0]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": allowed}}, lid


def _budget(fn) -> tuple[float, int]:
    env = fn.environment
    return float(env["AI_TIMEOUT_SECONDS"]), int(env["AI_MAX_ATTEMPTS"])


def test_a_routes_model_call_fits_inside_its_timeout_with_room_for_the_table():
    from khaya.ai.backend import CONNECT_TIMEOUT_SECONDS

    for lid in AI_ROUTES:
        read, attempts = _budget(BY_ID[lid])
        worst = attempts * (CONNECT_TIMEOUT_SECONDS + read) + (attempts - 1) * 1.0  # standard backoff < 1 s
        assert worst + 2 <= BY_ID[lid].properties["Timeout"] <= 29, lid  # API Gateway waits 30 s


def test_the_table_change_consumer_is_reliable_and_its_batch_fits_its_timeout():
    from khaya.ai.backend import CONNECT_TIMEOUT_SECONDS

    fn = BY_ID["AiEnrichFunction"]
    (event,) = fn.properties["Events"].values()
    props = event["Properties"]
    # fed by the stream router through its own FIFO queue, failures reported per message
    assert event["Type"] == "SQS" and props["Queue"] == {"Fn::GetAtt": ["AiEnrichQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = RESOURCES["AiEnrichQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["AiEnrichFailureQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * fn.properties["Timeout"]
    read, attempts = _budget(fn)
    per_job = 2 * (attempts * (CONNECT_TIMEOUT_SECONDS + read) + (attempts - 1))  # a suggestion and a vector
    assert props["BatchSize"] * per_job < fn.properties["Timeout"]


def test_numpy_ships_only_with_the_search_function():
    with_numpy = {lid for lid, fn in BY_ID.items() if "NumpyLayer" in fn.layers}
    assert with_numpy == {"SearchJobsFunction"}
    assert "numpy" not in (ROOT / "layers/core/requirements.txt").read_text()
    assert "numpy" in (ROOT / "layers/numpy/requirements.txt").read_text()


def test_the_backend_is_chosen_by_configuration_never_by_the_template_or_a_stage_check():
    from local.resources import LOCAL_SETTINGS

    assert "AI_BACKEND" not in (ROOT / "template.yaml").read_text()
    assert LOCAL_SETTINGS["AI_BACKEND"] == "local"
    for path in Path(ROOT / "layers/core/khaya/ai").glob("*.py"):
        text = path.read_text()
        assert "is_local" not in text and ".stage" not in text and "STAGE" not in text, path


def test_ai_function_modules_import_no_sdk_and_no_numpy():
    for lid in [*AI_ROUTES, "AiEnrichFunction"]:
        source = BY_ID[lid].module_path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(boto3|botocore|numpy)\b", source, re.M), lid
