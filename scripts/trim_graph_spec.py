#!/usr/bin/env python3
"""Keeps the part of the trimmed Microsoft Graph v1.0 OpenAPI document that the graph adapter
speaks (users, directory role assignments, GDAP relationships), for tests/it/vendors/spec_check.rs.

Usage: scripts/trim_graph_spec.py <graph-v1.0-tenantry.openapi.json> <out.json>
Source: ../shared/specs/microsoft-graph (msgraph-metadata cleanMetadata.xml @ f54f11b6,
converted with odata-openapi 0.29.0; see its SOURCE.md). Schemas referenced by properties the
adapter does not send are replaced by a stub; nothing else is edited.
"""
import json
import sys

KEEP = {
    "/users": ["get", "post"],
    "/users/{user-id}": ["get", "patch", "delete"],
    "/roleManagement/directory/roleAssignments": ["get", "post"],
    "/roleManagement/directory/roleAssignments/{unifiedRoleAssignment-id}": ["get", "delete"],
    "/tenantRelationships/delegatedAdminRelationships": ["get", "post"],
    "/tenantRelationships/delegatedAdminRelationships/{delegatedAdminRelationship-id}": ["get"],
    "/tenantRelationships/delegatedAdminRelationships/{delegatedAdminRelationship-id}/requests": ["post"],
}
BODIES = [
    "microsoft.graph.user-create",
    "microsoft.graph.user-update",
    "microsoft.graph.unifiedRoleAssignment-create",
    "microsoft.graph.delegatedAdminRelationship-create",
    "microsoft.graph.delegatedAdminRelationshipRequest-create",
]
NESTED = ["microsoft.graph.passwordProfile-create", "microsoft.graph.passwordProfile-update",
          "microsoft.graph.onPremisesExtensionAttributes-create",
          "microsoft.graph.onPremisesExtensionAttributes-update",
          "microsoft.graph.delegatedAdminAccessDetails-create",
          "microsoft.graph.delegatedAdminRelationshipCustomerParticipant-create",
          "microsoft.graph.unifiedRole-create",
          "microsoft.graph.delegatedAdminRelationshipRequestAction"]


def stub_refs(schema, keep):
    """Replaces $refs to schemas outside `keep` by a stub that names them."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref and ref.rsplit("/", 1)[-1] not in keep:
            return {"x-tenantry-trimmed": ref}
        return {k: stub_refs(v, keep) for k, v in schema.items()}
    if isinstance(schema, list):
        return [stub_refs(v, keep) for v in schema]
    return schema


def main(src, out):
    d = json.load(open(src))
    keep = set(BODIES + NESTED)
    paths = {}
    for p, verbs in KEEP.items():
        item = d["paths"][p]
        kept = {k: v for k, v in item.items() if k not in ("get", "post", "patch", "delete", "put")}
        for verb in verbs:
            op = dict(item[verb])
            op["responses"] = {"2XX": {"description": "kept out of this excerpt"}, "4XX": {"description": "Graph error body"}}
            kept[verb] = stub_refs(op, keep)
        paths[p] = kept
    schemas = {}
    for name in BODIES + NESTED:
        if name in d["components"]["schemas"]:
            schemas[name] = stub_refs(d["components"]["schemas"][name], keep)
    doc = {
        "openapi": d["openapi"],
        "info": dict(d.get("info", {}), **{"x-tenantry-provenance": "excerpt of ../shared/specs/microsoft-graph/graph-v1.0-tenantry.openapi.json (msgraph-metadata cleanMetadata.xml @ f54f11b6, odata-openapi 0.29.0) made by scripts/trim_graph_spec.py"}),
        "servers": d["servers"],
        "security": d["security"],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": d["components"].get("parameters", {}),
            "securitySchemes": d["components"]["securitySchemes"],
        },
    }
    json.dump(doc, open(out, "w"), indent=1, sort_keys=True)
    open(out, "a").write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
