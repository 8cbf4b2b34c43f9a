"""What each function's role allows, as SAM deploys template.yaml, and the check of recorded calls.

``function_policies()`` runs the template through ``aws-sam-translator`` (the transform
CloudFormation applies on deploy): each function's ``Policies`` become the inline policies
of its generated ``AWS::IAM::Role``, SAM policy templates expanded, plus what SAM adds by
itself (an event source's destination, for instance). Intrinsics are then resolved for
the local stage to the ARNs the resources get: ``!GetAtt Table.Arn``, ``!Sub
"${Table.Arn}/index/gsi1"``, ``!Ref SomeSecret`` (a secret's ARN), ``!GetAtt Bucket.Arn``.
AWS managed policies (``AWSLambdaBasicExecutionRole``...) are listed by name, not
expanded: none of them grants what function code calls.

``check(calls, policies)`` evaluates each recorded call (``local.aws_calls``) as IAM
does for identity policies: an explicit ``Deny`` wins, else some ``Allow`` must match the
action, the resource (``*`` and ``?`` wildcards) and its conditions. Conditions are evaluated
on the keys the recorder models (``dynamodb:LeadingKeys``, ``s3:prefix``) with the string
operators, ``ForAllValues:``/``ForAnyValue:`` included, as IAM does: ``ForAllValues`` holds
for a request without the key (a Scan names no partition key), a plain operator does not.
A condition on a key not modelled here (``bedrock:InferenceProfileArn``) is taken as met. It
returns the calls no statement allows, and, for information, the statements no recorded
call used.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from local.aws_calls import ACCOUNT, SECRET_SUFFIX, Call
from local.cfn import load_template
from local.intrinsics import REGION, Resolver

MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


class IamResolver(Resolver):
    """Intrinsics as a policy sees them: ``!Ref`` of a secret is its ARN, a bucket's ARN has
    no region or account, and the rest as ``local.intrinsics.Resolver`` resolves them."""

    def ref(self, name: str) -> str:
        res = self.resources.get(name) or {}
        if res.get("Type") == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{super().ref(name)}{SECRET_SUFFIX}"
        return super().ref(name)

    def get_att(self, name: str, attr: str) -> str:
        res = self.resources.get(name) or {}
        if res.get("Type") == "AWS::S3::Bucket" and attr == "Arn":
            return f"arn:aws:s3:::{super().ref(name)}"
        if res.get("Type") == "AWS::SecretsManager::Secret" and attr == "Id":
            return self.ref(name)
        if attr in ("QueueName", "TopicName", "Name"):
            return super().ref(name)
        if res.get("Type") == "AWS::SQS::Queue" and attr == "QueueUrl":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{super().ref(name)}"
        return super().get_att(name, attr)


def _pattern(value: str, *, ignore_case: bool) -> re.Pattern[str]:
    regex = re.escape(value).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(f"^{regex}$", re.IGNORECASE if ignore_case else 0)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


MODELLED_CONDITION_KEYS = frozenset({"dynamodb:LeadingKeys", "s3:prefix"})
_OPERATORS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": lambda pattern, value: bool(_pattern(pattern, ignore_case=False).match(value)),
    "StringNotEquals": lambda pattern, value: pattern != value,
    "StringNotLike": lambda pattern, value: not _pattern(pattern, ignore_case=False).match(value),
}


def _condition_holds(operator: str, key: str, patterns: list[str], context: dict[str, list[str]]) -> bool:
    if key not in MODELLED_CONDITION_KEYS:
        return True
    quantifier, _, base = operator.rpartition(":")
    test = _OPERATORS.get(base.removesuffix("IfExists"))
    if test is None:
        raise ValueError(f"the IAM check does not evaluate the condition operator {operator}")
    negated = base.startswith("StringNot")
    values = context.get(key)
    if values is None:
        if quantifier == "ForAllValues" or base.endswith("IfExists"):
            return True
        return negated and quantifier != "ForAnyValue"

    def one(value: str) -> bool:
        matched = [test(p, value) for p in patterns]
        return all(matched) if negated else any(matched)

    if quantifier == "ForAllValues":
        return all(one(v) for v in values)
    if quantifier == "ForAnyValue":
        return any(one(v) for v in values)
    return all(one(v) for v in values)


@dataclass
class Statement:
    effect: str
    actions: list[str]
    resources: list[str]
    not_actions: list[str] = field(default_factory=list)
    not_resources: list[str] = field(default_factory=list)
    policy: str = ""
    conditions: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def _conditions(self, context: dict[str, list[str]]) -> bool:
        return all(
            _condition_holds(operator, key, _as_list(patterns), context)
            for operator, keys in self.conditions.items()
            for key, patterns in keys.items()
        )

    def _action(self, action: str) -> bool:
        if self.not_actions:
            return not any(_pattern(a, ignore_case=True).match(action) for a in self.not_actions)
        return any(_pattern(a, ignore_case=True).match(action) for a in self.actions)

    def _resource(self, resource: str) -> bool:
        if resource == "*":  # the call's resource is not modelled: any resource of the statement will do
            return True
        if self.not_resources:
            return not any(_pattern(r, ignore_case=False).match(resource) for r in self.not_resources)
        return any(_pattern(r, ignore_case=False).match(resource) for r in self.resources)

    def matches(self, action: str, resource: str, context: dict[str, list[str]] | None = None) -> bool:
        return self._action(action) and self._resource(resource) and self._conditions(context or {})

    def describe(self) -> str:
        where = f"{', '.join(self.actions or ['NOT ' + a for a in self.not_actions])} on {', '.join(self.resources)}"
        return f"{where} if {json.dumps(self.conditions, sort_keys=True)}" if self.conditions else where


@dataclass
class Role:
    function: str
    statements: list[Statement]
    managed: list[str]  # AWS managed policy names, not expanded

    def allows(self, action: str, resource: str, context: dict[str, list[str]] | None = None) -> bool:
        if any(s.effect == "Deny" and s.matches(action, resource, context) for s in self.statements):
            return False
        return any(s.effect == "Allow" and s.matches(action, resource, context) for s in self.statements)


class _NoManagedPolicyNames:
    """Policy entries naming an AWS managed policy without its ARN would need IAM to resolve."""

    def load(self) -> dict[str, str]:
        return {}


def sam_transform(template: dict[str, Any], stage: str = "local") -> dict[str, Any]:
    """The CloudFormation template SAM deploys (code locations stand in for packaged ones)."""
    import os

    try:
        from samtranslator.translator.transform import transform
    except ImportError as exc:  # pragma: no cover - make venv installs it
        raise RuntimeError(
            "the IAM check needs aws-sam-translator: `make venv` installs it (pip install --no-deps aws-sam-translator)"
        ) from exc
    doc = copy.deepcopy(template)
    for lid, res in doc.get("Resources", {}).items():
        props = res.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://packaged-locally/{lid}.zip"  # what `sam package` puts there
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return dict(transform(doc, {"Stage": stage}, _NoManagedPolicyNames()))


def function_policies(template: dict[str, Any] | None = None) -> dict[str, Role]:
    """Each function's role (logical id of the function → its resolved statements)."""
    doc = template or load_template()
    out = sam_transform(doc)
    resources = out["Resources"]
    resolver = IamResolver(out)
    roles: dict[str, Role] = {}
    for lid, res in resources.items():
        if res.get("Type") != "AWS::Lambda::Function":
            continue
        role_ref = (res.get("Properties") or {}).get("Role")
        if not (isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref):
            roles[lid] = Role(lid, [], [])  # a role from outside the template: nothing is known
            continue
        role = resources[role_ref["Fn::GetAtt"][0]]["Properties"]
        statements: list[Statement] = []
        documents = [(p.get("PolicyName", ""), p["PolicyDocument"]) for p in role.get("Policies") or []]
        managed: list[str] = []
        for arn in role.get("ManagedPolicyArns") or []:
            if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in resources:
                documents.append((arn["Ref"], resources[arn["Ref"]]["Properties"]["PolicyDocument"]))
            else:
                managed.append(str(resolver.resolve(arn)).removeprefix(MANAGED_POLICY_PREFIX))
        for name, document in documents:
            for st in _as_list_of_dicts(resolver.resolve(document).get("Statement")):
                statements.append(
                    Statement(
                        effect=str(st.get("Effect", "Allow")),
                        actions=_as_list(st.get("Action")),
                        resources=_as_list(st.get("Resource")),
                        not_actions=_as_list(st.get("NotAction")),
                        not_resources=_as_list(st.get("NotResource")),
                        policy=name,
                        conditions=dict(st.get("Condition") or {}),
                    )
                )
        roles[lid] = Role(lid, statements, managed)
    return roles


def _as_list_of_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return [v for v in value or [] if isinstance(v, dict)]


@lru_cache(maxsize=1)
def template_policies() -> dict[str, Role]:
    return function_policies()


# ---------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Denied:
    function: str
    action: str
    resource: str
    via: str
    context: str = "{}"

    def __str__(self) -> str:
        how = "a presigned URL for" if self.via == "presigned" else "a call of"
        on = f"{self.resource} ({self.context})" if self.context not in ("", "{}") else self.resource
        return f"{self.function} makes {how} {self.action} on {on}, which no statement of its role allows"


@dataclass(frozen=True)
class Unused:
    function: str
    action: str
    resources: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.function}: {self.action} on {', '.join(self.resources)} was not used by any recorded call"


def check(calls: list[Call], roles: dict[str, Role]) -> tuple[list[Denied], list[Unused]]:
    """The recorded calls no statement allows, and the allowed actions no recorded call used
    (only for functions that were invoked at all)."""
    denied: set[Denied] = set()
    used: dict[str, list[tuple[str, str]]] = {}
    for function, action, resource, via, *rest in calls:
        context_json = rest[0] if rest else "{}"
        role = roles.get(function)
        used.setdefault(function, []).append((action, resource))
        if role is None or not role.allows(action, resource, json.loads(context_json or "{}")):
            denied.add(Denied(function, action, resource, via, context_json))
    unused: list[Unused] = []
    for function, made in sorted(used.items()):
        for st in roles[function].statements if function in roles else []:
            if st.effect != "Allow" or st.not_actions or st.not_resources:
                continue
            for action in st.actions:
                idle = [r for r in st.resources if not any(Statement("Allow", [action], [r]).matches(*m) for m in made)]
                if idle:
                    unused.append(Unused(function, action, tuple(idle)))
    return sorted(denied, key=str), unused


def report(denied: list[Denied], unused: list[Unused], *, functions: int, total: int) -> list[str]:
    lines = [f"{functions} of {total} functions made AWS calls; each call was checked against its function's role"]
    if denied:
        lines.append(f"{len(denied)} call(s) the deployed role would refuse (AccessDenied on AWS):")
        lines += [f"  DENIED {d}" for d in denied]
    if unused:
        lines.append(f"{len(unused)} allowed action(s) no recorded call used (information):")
        lines += [f"  unused {u}" for u in unused]
    return lines
