"""Resolve CloudFormation intrinsics (``Ref``, ``Fn::Sub``, ``Fn::GetAtt``...) for a local stage.

Only what a function's ``Environment`` needs: parameters take their defaults (``Stage`` is
``local``), resources resolve to the name they would get on AWS (``!Ref Table`` → the table
name, ``!Ref SomeSecret`` → the secret's ``Name``), ARNs are built for the fake account.
"""

from __future__ import annotations

import re
from typing import Any

REGION = "af-south-1"
ACCOUNT = "123456789012"
_NAME_PROPS = ("TableName", "Name", "QueueName", "TopicName", "BucketName", "FunctionName", "LogGroupName")
_ARN_SERVICE = {
    "AWS::DynamoDB::Table": ("dynamodb", "table/"),
    "AWS::SecretsManager::Secret": ("secretsmanager", "secret:"),
    "AWS::SQS::Queue": ("sqs", ""),
    "AWS::SNS::Topic": ("sns", ""),
    "AWS::Serverless::Function": ("lambda", "function:"),
    "AWS::Lambda::Function": ("lambda", "function:"),
    "AWS::Logs::LogGroup": ("logs", "log-group:"),
}


class Resolver:
    def __init__(self, template: dict[str, Any], overrides: dict[str, str] | None = None) -> None:
        self.template = template
        self.params: dict[str, str] = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "khaya-local",
            "AWS::NoValue": "",
        }
        for name, spec in (template.get("Parameters") or {}).items():
            default = spec.get("Default", "")
            self.params[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
        self.params["Stage"] = "local"
        self.params.update(overrides or {})
        self.resources: dict[str, Any] = template.get("Resources") or {}
        self.conditions: dict[str, Any] = template.get("Conditions") or {}

    # ------------------------------------------------------------------ public
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.get_att(str(parts[0]), str(parts[1]))
            if key == "Fn::Join":
                return str(arg[0]).join(str(self.resolve(v)) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(str(arg[0]))
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
        return {k: self.resolve(v) for k, v in value.items()}

    def ref(self, name: str) -> str:
        if name in self.params:
            return self.params[name]
        res = self.resources.get(name)
        if res is None:
            raise KeyError(f"!Ref {name}: no such parameter or resource")
        props = res.get("Properties") or {}
        for prop in _NAME_PROPS:
            if prop in props:
                return str(self.resolve(props[prop]))
        if res.get("Type", "").endswith("Function"):
            return f"khaya-local-{name}"
        return name

    def get_att(self, name: str, attr: str) -> str:
        res = self.resources.get(name) or {}
        service, prefix = _ARN_SERVICE.get(res.get("Type", ""), ("local", ""))
        base = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{prefix}{self.ref(name) if res else name}"
        if attr == "Arn":
            return base
        if attr == "StreamArn":
            return f"{base}/stream/local"
        if res.get("Type") == "AWS::SQS::Queue" and attr == "QueueUrl":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.ref(name)}"
        if res.get("Type") == "AWS::SQS::Queue" and attr == "QueueName":
            return self.ref(name)
        return f"{base}/{attr}"

    def sub(self, arg: Any) -> str:
        text, extra = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})

        def one(m: re.Match[str]) -> str:
            key = m.group(1)
            if key.startswith("!"):
                return "${" + key[1:] + "}"
            if key in extra:
                return str(self.resolve(extra[key]))
            if key in self.params or key in self.resources:
                return self.ref(key)
            if "." in key:
                res, attr = key.split(".", 1)
                return self.get_att(res, attr)
            raise KeyError(f"!Sub ${{{key}}}: unknown")

        return re.sub(r"\$\{([^}]+)\}", one, str(text))

    def condition(self, name_or_expr: Any) -> bool:
        expr = self.conditions.get(name_or_expr) if isinstance(name_or_expr, str) else name_or_expr
        if not isinstance(expr, dict) or len(expr) != 1:
            return bool(expr)
        ((key, arg),) = expr.items()
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::Equals":
            return str(self.resolve(arg[0])) == str(self.resolve(arg[1]))
        if key == "Fn::Not":
            return not self.condition(arg[0])
        if key == "Fn::And":
            return all(self.condition(a) for a in arg)
        if key == "Fn::Or":
            return any(self.condition(a) for a in arg)
        if key == "Fn::Contains":
            haystack = self.resolve(arg[0])
            if isinstance(haystack, str):
                haystack = haystack.split(",")
            return str(self.resolve(arg[1])) in [str(h) for h in haystack]
        return bool(self.resolve(expr))
