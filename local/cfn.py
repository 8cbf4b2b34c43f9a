"""Read ``template.yaml`` as the local gateway and the tests need it.

The same template that deploys to AWS defines the local routes and the DynamoDB table, so
the two can never drift. CloudFormation short-form tags (``!Ref``, ``!Sub``...) are parsed
into their long form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@lru_cache(maxsize=4)
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        doc = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    assert isinstance(doc, dict)
    return doc


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST... or ANY
    path: str  # /v1/jobs/{id} or $default
    public: bool


@dataclass(frozen=True)
class FunctionDef:
    logical_id: str
    code_uri: str
    handler: str
    routes: tuple[Route, ...] = ()
    stream_sources: tuple[str, ...] = ()  # logical ids of tables whose stream it reads
    environment: dict[str, Any] = field(default_factory=dict)
    layers: tuple[str, ...] = ()  # the template's own layers (logical ids), in order
    properties: dict[str, Any] = field(default_factory=dict)
    # Layers given by a parameter (AWS's own, e.g. the Parameters and Secrets extension): their names
    external_layers: tuple[str, ...] = ()

    @property
    def module_path(self) -> Path:
        module = self.handler.rsplit(".", 1)[0]
        return ROOT / self.code_uri / f"{module.replace('.', '/')}.py"

    @property
    def domain(self) -> str:
        return Path(self.code_uri).name

    @property
    def name(self) -> str:
        return self.handler.rsplit(".", 1)[0]


def functions(template: dict[str, Any] | None = None) -> list[FunctionDef]:
    doc = template or load_template()
    glob = doc.get("Globals", {}).get("Function", {})
    out: list[FunctionDef] = []
    for logical_id, res in doc["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.get("Properties", {})
        routes: list[Route] = []
        streams: list[str] = []
        for ev in (props.get("Events") or {}).values():
            ep = ev.get("Properties", {})
            if ev.get("Type") == "HttpApi":
                auth = (ep.get("Auth") or {}).get("Authorizer")
                routes.append(Route(ep["Method"].upper(), ep["Path"], auth == "NONE"))
            elif ev.get("Type") == "DynamoDB":
                stream = ep.get("Stream", {})
                target = stream.get("Fn::GetAtt", [None])[0] if isinstance(stream, dict) else None
                if target:
                    streams.append(target)
        env = {
            **glob.get("Environment", {}).get("Variables", {}),
            **(props.get("Environment") or {}).get("Variables", {}),
        }
        refs = [
            layer["Ref"]
            for layer in [*glob.get("Layers", []), *props.get("Layers", [])]
            if isinstance(layer, dict) and "Ref" in layer
        ]
        layers = tuple(r for r in refs if r in doc["Resources"])
        external = tuple(r for r in refs if r not in doc["Resources"])
        out.append(
            FunctionDef(
                logical_id=logical_id,
                code_uri=str(props.get("CodeUri", glob.get("CodeUri", ""))).rstrip("/"),
                handler=props.get("Handler", glob.get("Handler", "")),
                routes=tuple(routes),
                stream_sources=tuple(streams),
                environment=env,
                layers=layers,
                properties=props,
                external_layers=external,
            )
        )
    return out


def layer_dirs(template: dict[str, Any] | None = None) -> dict[str, Path]:
    """Logical id of each layer → the folder whose content becomes ``python/`` on Lambda."""
    doc = template or load_template()
    return {
        lid: ROOT / str(res["Properties"]["ContentUri"]).rstrip("/")
        for lid, res in doc["Resources"].items()
        if res.get("Type") == "AWS::Serverless::LayerVersion"
    }


def table_create_kwargs(logical_id: str = "Table", table_name: str | None = None) -> dict[str, Any]:
    """``CreateTable`` arguments from the template's own table definition."""
    props = load_template()["Resources"][logical_id]["Properties"]
    kwargs: dict[str, Any] = {
        "TableName": table_name or "khaya-local",
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return kwargs


def ttl_attribute(logical_id: str = "Table") -> str | None:
    spec = load_template()["Resources"][logical_id]["Properties"].get("TimeToLiveSpecification")
    return spec["AttributeName"] if spec and spec.get("Enabled") else None
