"""The IAM check: recorded AWS calls against each function's role as SAM deploys the template."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local.aws_calls import Recorder, attributed, iam_requests, requests_with_context
from local.iam import check, function_policies

TABLE = "arn:aws:dynamodb:af-south-1:123456789012:table/khaya-local"


def template(policies: list[Any]) -> dict[str, Any]:
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Fn::Sub": "khaya-${Stage}"}}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "khaya-${Stage}-q"}}},
            "Key": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": {"Fn::Sub": "khaya/${Stage}/key"}}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "media"}},
            "F": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "functions/x/",
                    "Handler": "f.handler",
                    "Runtime": "python3.12",
                    "Policies": policies,
                },
            },
        },
    }


def test_a_call_no_statement_allows_is_named_with_its_function_action_and_resource() -> None:
    # Given a function that may only read items
    roles = function_policies(
        template(
            [
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:GetItem"],
                            "Resource": {"Fn::GetAtt": ["Table", "Arn"]},
                        }
                    ]
                }
            ]
        )
    )
    # When it was seen reading and updating an item
    denied, _ = check([("F", "dynamodb:GetItem", TABLE, "call"), ("F", "dynamodb:UpdateItem", TABLE, "call")], roles)
    # Then the update is the one refused, named as IAM would
    assert [str(d) for d in denied] == [
        f"F makes a call of dynamodb:UpdateItem on {TABLE}, which no statement of its role allows"
    ]


def test_sam_policy_templates_and_intrinsics_resolve_to_the_resources_they_name() -> None:
    roles = function_policies(
        template(
            [
                {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["Queue", "QueueName"]}}},
                {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "Key"}}},
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "dynamodb:Query",
                            "Resource": {"Fn::Sub": "${Table.Arn}/index/gsi1"},
                        },
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": {"Fn::Sub": "${Bucket.Arn}/portfolio/*"},
                        },
                    ]
                },
            ]
        )
    )
    role = roles["F"]
    queue = "arn:aws:sqs:af-south-1:123456789012:khaya-local-q"
    assert role.allows("sqs:SendMessage", queue) and not role.allows("sqs:DeleteQueue", queue)
    secret = iam_requests("secretsmanager", "GetSecretValue", {"SecretId": "khaya/local/key"}, "af-south-1")[0][1]
    assert role.allows("secretsmanager:GetSecretValue", secret)
    assert not role.allows("secretsmanager:GetSecretValue", secret.replace("/key", "/other"))
    assert role.allows("dynamodb:Query", f"{TABLE}/index/gsi1") and not role.allows("dynamodb:Query", TABLE)
    assert role.allows("s3:GetObject", "arn:aws:s3:::media/portfolio/w/1.png")
    assert not role.allows("s3:GetObject", "arn:aws:s3:::media/attachments/c/1.pdf")


def test_an_explicit_deny_wins_and_unused_statements_are_listed() -> None:
    any_table = {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem"], "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": {"Fn::GetAtt": ["Table", "Arn"]}}
    roles = function_policies(template([{"Statement": [any_table, deny]}]))
    denied, unused = check([("F", "dynamodb:DeleteItem", TABLE, "call")], roles)
    assert [d.action for d in denied] == ["dynamodb:DeleteItem"]
    assert [(u.function, u.action) for u in unused] == [("F", "dynamodb:GetItem")]


TABLE_ARN = "arn:aws:dynamodb:af-south-1:123456789012:table"


def test_the_recorder_sees_transactions_presigned_urls_and_posts_as_iam_does(aws: None) -> None:
    # Given a recorder, a table and a bucket
    rec = Recorder()
    ddb = rec.attach(boto3.client("dynamodb", region_name="af-south-1"))
    s3 = rec.attach(boto3.client("s3", region_name="af-south-1"))
    from khaya.config import settings

    table, bucket = settings().table_name, settings().require("MEDIA_BUCKET")
    item = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    ddb.put_item(TableName=table, Item=item)  # outside any invocation: not attributed
    # When a function writes in a transaction and presigns an upload and a download
    with attributed("F"):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "c"}, "sk": {"S": "d"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": item,
                        "UpdateExpression": "SET x = :x",
                        "ExpressionAttributeValues": {":x": {"N": "1"}},
                    }
                },
            ]
        )
        s3.generate_presigned_post(Bucket=bucket, Key="portfolio/w/1.png")
        s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "portfolio/w/1.png"})
    # Then each is recorded as the action IAM checks, on the resource it acts on
    assert rec.drain() == sorted(
        [
            ("F", "dynamodb:PutItem", f"{TABLE_ARN}/{table}", "call", '{"dynamodb:LeadingKeys": ["c"]}'),
            ("F", "dynamodb:UpdateItem", f"{TABLE_ARN}/{table}", "call", '{"dynamodb:LeadingKeys": ["a"]}'),
            ("F", "s3:PutObject", f"arn:aws:s3:::{bucket}/portfolio/w/1.png", "presigned", "{}"),
            ("F", "s3:GetObject", f"arn:aws:s3:::{bucket}/portfolio/w/1.png", "presigned", "{}"),
        ]
    )


@pytest.mark.parametrize(
    "prefix,operation,params,expected",
    [
        (
            "dynamodb",
            "Query",
            {"TableName": "t", "IndexName": "gsi2"},
            "arn:aws:dynamodb:af-south-1:123456789012:table/t/index/gsi2",
        ),
        ("dynamodb", "BatchGetItem", {"RequestItems": {"t": {}}}, "arn:aws:dynamodb:af-south-1:123456789012:table/t"),
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": "http://localhost/123456789012/q"},
            "arn:aws:sqs:af-south-1:123456789012:q",
        ),
        ("s3", "DeleteObject", {"Bucket": "b", "Key": "k/1"}, "arn:aws:s3:::b/k/1"),
        (
            "bedrock",
            "InvokeModel",
            {"modelId": "amazon.titan-embed-text-v2:0"},
            "arn:aws:bedrock:af-south-1::foundation-model/amazon.titan-embed-text-v2:0",
        ),
    ],
)
def test_each_service_call_maps_to_the_resource_iam_checks(prefix, operation, params, expected) -> None:
    assert iam_requests(prefix, operation, params, "af-south-1")[0][1] == expected


def test_the_local_messaging_stand_ins_writes_are_not_the_functions_calls() -> None:
    # Given the local outbox (Twilio's stand-in) keeping a message, and the product writing a code
    outbox = {"TableName": "khaya-local", "Item": {"pk": {"S": "OUTBOX#+27821234567"}, "sk": {"S": "MSG#1#SM1"}}}
    code = {"TableName": "khaya-local", "Item": {"pk": {"S": "OTP#+27821234567#login"}, "sk": {"S": "OTP"}}}
    # Then only the product's write is a call the role must allow (deployed, Twilio gets the message)
    assert iam_requests("dynamodb", "PutItem", outbox, "af-south-1") == []
    assert iam_requests("dynamodb", "PutItem", code, "af-south-1") == [("dynamodb:PutItem", TABLE)]


# ---------------------------------------------------------------- conditions
USERS_ONLY = {
    "Effect": "Allow",
    "Action": ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:Query"],
    "Resource": "*",
    "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["USER#*"]}},
}


def _leading(*pks: str) -> str:
    return json.dumps({"dynamodb:LeadingKeys": list(pks)}, sort_keys=True)


@pytest.mark.parametrize(
    "action,context,allowed",
    [
        ("dynamodb:GetItem", _leading("USER#1"), True),
        ("dynamodb:GetItem", _leading("JOB#1"), False),  # another partition than the condition names
        ("dynamodb:BatchGetItem", _leading("USER#1", "USER#2"), True),
        ("dynamodb:BatchGetItem", _leading("USER#1", "JOB#2"), False),  # every key must match
        ("dynamodb:Scan", "{}", True),  # a Scan names no partition key: ForAllValues holds, as on AWS
    ],
)
def test_a_leading_keys_condition_is_evaluated_on_the_keys_a_call_names(action, context, allowed) -> None:
    roles = function_policies(template([{"Statement": [USERS_ONLY]}]))
    denied, _ = check([("F", action, TABLE, "call", context)], roles)
    assert (denied == []) is allowed


def test_the_recorder_gives_the_partition_key_a_query_a_batch_and_a_transaction_name() -> None:
    query = {
        "TableName": "t",
        "IndexName": "gsi1",
        "KeyConditionExpression": "#p = :p AND begins_with(sk, :s)",
        "ExpressionAttributeNames": {"#p": "gsi1pk"},
        "ExpressionAttributeValues": {":p": {"S": "JOBS#open"}, ":s": {"S": "2026"}},
    }
    batch = {"RequestItems": {"t": {"Keys": [{"pk": {"S": "USER#2"}}, {"pk": {"S": "USER#1"}}]}}}
    tx = {"TransactItems": [{"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "JOB#9"}}}}]}
    assert requests_with_context("dynamodb", "Query", query, "af-south-1")[0][2] == {
        "dynamodb:LeadingKeys": ["JOBS#open"]
    }
    assert requests_with_context("dynamodb", "BatchGetItem", batch, "af-south-1")[0][2] == {
        "dynamodb:LeadingKeys": ["USER#1", "USER#2"]
    }
    assert requests_with_context("dynamodb", "TransactWriteItems", tx, "af-south-1")[0][2] == {
        "dynamodb:LeadingKeys": ["JOB#9"]
    }


def test_a_listing_prefix_condition_is_evaluated() -> None:
    listing = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::b",
        "Condition": {"StringLike": {"s3:prefix": ["portfolio/*"]}},
    }
    roles = function_policies(template([{"Statement": [listing]}]))
    mine = requests_with_context("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "portfolio/w/"}, "af-south-1")
    other = requests_with_context("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "attachments/"}, "af-south-1")
    calls = [("F", a, r, "call", json.dumps(c, sort_keys=True)) for a, r, c in mine + other]
    denied, _ = check(calls, roles)
    assert [d.context for d in denied] == ['{"s3:prefix": ["attachments/"]}']


def test_a_query_whose_partition_cannot_be_read_fails_a_leading_keys_condition() -> None:
    # Given a Query in the legacy form, whose partition key this check does not parse
    legacy = {"TableName": "t", "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": []}}}
    ((action, _resource, context),) = requests_with_context("dynamodb", "Query", legacy, "af-south-1")
    roles = function_policies(template([{"Statement": [USERS_ONLY]}]))
    # Then it is refused, as AWS would refuse a Query of another partition, rather than allowed
    denied, _ = check([("F", action, TABLE, "call", json.dumps(context, sort_keys=True))], roles)
    assert [d.action for d in denied] == ["dynamodb:Query"]
