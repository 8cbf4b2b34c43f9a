"""template.yaml keeps its promises: least privilege, log retention, a safe table, no dev routes."""

import pytest

from local.cfn import functions, load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = functions()
READ_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:DescribeStream",
    "dynamodb:ListStreams",
}


def statements(fn):
    for policy in fn.properties.get("Policies") or []:
        if isinstance(policy, dict) and "Statement" in policy:
            yield from policy["Statement"]


def actions(fn) -> set[str]:
    found: set[str] = set()
    for st in statements(fn):
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        found |= set(acts)
    return found


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_no_function_may_scan_or_use_wildcards_on_the_table(fn):
    for st in statements(fn):
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert "dynamodb:Scan" not in acts
        assert not any(a.endswith(":*") or a == "*" for a in acts), acts
        assert st.get("Resource") != "*" or not any(a.startswith("dynamodb:") for a in acts)
    # SAM's managed DynamoDB policy templates grant Scan: only explicit statements are allowed
    for policy in fn.properties.get("Policies") or []:
        assert not (isinstance(policy, dict) and any(k.startswith("DynamoDB") for k in policy)), policy


def _quota_counters_only(st) -> bool:
    """A statement confined to the daily AI quota counters (partition keys ``AIQUOTA#...``)."""
    condition = (st.get("Condition") or {}).get("ForAllValues:StringLike") or {}
    return condition.get("dynamodb:LeadingKeys") == ["AIQUOTA#*"]


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if f.routes and all(r.method == "GET" for r in f.routes)])
def test_read_only_routes_get_read_only_table_access(fn):
    # A read may count itself against the caller's daily quota (search), and write nothing else
    found = set()
    for st in statements(fn):
        if not _quota_counters_only(st):
            found |= set(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    assert found <= READ_ACTIONS | {a for a in found if not a.startswith("dynamodb:")}


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_every_function_logs_to_its_own_group_with_retention(fn):
    ref = fn.properties["LoggingConfig"]["LogGroup"]["Ref"]
    group = RESOURCES[ref]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert "${Stage}" in group["Properties"]["LogGroupName"]["Fn::Sub"]


def test_no_local_only_route_is_deployed():
    paths = [r.path for fn in FUNCTIONS for r in fn.routes]
    assert not [p for p in paths if p.startswith("/_dev")]


def test_the_table_is_on_demand_recoverable_streamed_and_protected_outside_dev():
    props = RESOURCES["Table"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsDevLike", False, True]}
    assert RESOURCES["Table"]["DeletionPolicy"] == "Retain"


def test_wildcard_cors_is_refused_outside_local_and_dev():
    rule = TEMPLATE["Rules"]["NoWildcardCorsOutsideDev"]
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Contains": [{"Ref": "CorsAllowedOrigins"}, "*"]}]}


def test_every_route_except_the_public_ones_goes_through_the_authorizer():
    api = RESOURCES["HttpApi"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "KhayaAuthorizer"
    auth = api["Auth"]["Authorizers"]["KhayaAuthorizer"]
    assert auth["AuthorizerPayloadFormatVersion"] == "2.0" and auth["EnableSimpleResponses"] is True
    assert auth["Identity"]["ReauthorizeEvery"] <= 60


def test_what_deploys_is_arm64_and_every_function_and_layer_follows_the_architecture_parameter():
    # CI builds the same template for its own machine (Architecture=x86_64) to run the artifacts;
    # a function or layer with its own fixed architecture would escape that and break the check.
    assert TEMPLATE["Parameters"]["Architecture"]["Default"] == "arm64"
    assert TEMPLATE["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]
    for name, res in RESOURCES.items():
        props = res.get("Properties") or {}
        if res["Type"] == "AWS::Serverless::Function":
            assert props.get("Architectures", [{"Ref": "Architecture"}]) == [{"Ref": "Architecture"}], name
        if res["Type"] == "AWS::Serverless::LayerVersion":
            assert props["CompatibleArchitectures"] == [{"Ref": "Architecture"}], name
            assert res["Metadata"]["BuildArchitecture"] == {"Ref": "Architecture"}, name
