"""Create the twin's resources in a moto server from the template's own properties.

Reads one JSON document on stdin: {"endpoint": URL, "region": R, "tables": [...], "buckets": [...],
"queues": [...], "rules": [...], "stack": {...}} (each entry carries the resolved CloudFormation
properties of one resource, see twin/moto.ts) and creates them with boto3. Prints a JSON summary.
"""
import json
import sys

import boto3


def table(ddb, spec):
    p = spec["properties"]
    args = {
        "TableName": spec["name"],
        "AttributeDefinitions": p["AttributeDefinitions"],
        "KeySchema": p["KeySchema"],
        "BillingMode": p.get("BillingMode", "PROVISIONED"),
    }
    if args["BillingMode"] != "PAY_PER_REQUEST":
        args["ProvisionedThroughput"] = p.get("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
        if key in p:
            args[key] = p[key]
    if p.get("SSESpecification", {}).get("SSEEnabled"):
        args["SSESpecification"] = {"Enabled": True}
    if "DeletionProtectionEnabled" in p:
        args["DeletionProtectionEnabled"] = bool(p["DeletionProtectionEnabled"])
    ddb.create_table(**args)
    ttl = p.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        ddb.update_time_to_live(TableName=spec["name"], TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]})


def bucket(s3, spec):
    p = spec["properties"]
    name = spec["name"]
    s3.create_bucket(Bucket=name)
    if p.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    enc = p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
    if enc:
        rules = [{"ApplyServerSideEncryptionByDefault": {k: v for k, v in r["ServerSideEncryptionByDefault"].items()},
                  **({"BucketKeyEnabled": r["BucketKeyEnabled"]} if "BucketKeyEnabled" in r else {})} for r in enc]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    pab = p.get("PublicAccessBlockConfiguration")
    if pab:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=pab)
    lifecycle = p.get("LifecycleConfiguration", {}).get("Rules")
    if lifecycle:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [lifecycle_rule(r) for r in lifecycle]})
    if spec.get("eventBridge"):
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})


def lifecycle_rule(r):
    """A CloudFormation lifecycle rule in the S3 API's shape."""
    out = {"ID": r.get("Id", "rule"), "Status": r["Status"], "Filter": {"Prefix": r.get("Prefix", "")}}
    if "ExpirationInDays" in r:
        out["Expiration"] = {"Days": r["ExpirationInDays"]}
    if "NoncurrentVersionExpiration" in r:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": r["NoncurrentVersionExpiration"]["NoncurrentDays"]}
    if "AbortIncompleteMultipartUpload" in r:
        out["AbortIncompleteMultipartUpload"] = r["AbortIncompleteMultipartUpload"]
    return out


def queue(sqs, spec):
    p = spec["properties"]
    attrs = {}
    if "MessageRetentionPeriod" in p:
        attrs["MessageRetentionPeriod"] = str(p["MessageRetentionPeriod"])
    if "SqsManagedSseEnabled" in p:
        attrs["SqsManagedSseEnabled"] = "true" if p["SqsManagedSseEnabled"] else "false"
    return sqs.create_queue(QueueName=spec["name"], Attributes=attrs)["QueueUrl"]


def rule(events, spec):
    p = spec["properties"]
    events.put_rule(Name=spec["name"], EventPattern=json.dumps(p["EventPattern"]), State=p.get("State", "ENABLED"),
                    Description=p.get("Description", ""))


def stack(cfn, spec):
    """A stack whose Outputs are the twin's resource names (what `rlm submit` reads via DescribeStacks)."""
    template = {
        "Resources": {"TwinPlaceholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {k: {"Value": v} for k, v in spec["outputs"].items()},
    }
    try:
        cfn.create_stack(StackName=spec["name"], TemplateBody=json.dumps(template))
    except cfn.exceptions.AlreadyExistsException:
        # botocore retried a CreateStack whose first answer was slow (a loaded machine): the first one made it.
        pass


def main():
    cfg = json.load(sys.stdin)
    kw = {"endpoint_url": cfg["endpoint"], "region_name": cfg["region"]}
    ddb = boto3.client("dynamodb", **kw)
    s3 = boto3.client("s3", **kw)
    sqs = boto3.client("sqs", **kw)
    events = boto3.client("events", **kw)
    cfn = boto3.client("cloudformation", **kw)
    for t in cfg.get("tables", []):
        table(ddb, t)
    for b in cfg.get("buckets", []):
        bucket(s3, b)
    urls = {q["name"]: queue(sqs, q) for q in cfg.get("queues", [])}
    for r in cfg.get("rules", []):
        rule(events, r)
    if cfg.get("stack"):
        stack(cfn, cfg["stack"])
    print(json.dumps({"queues": urls}))


if __name__ == "__main__":
    main()
