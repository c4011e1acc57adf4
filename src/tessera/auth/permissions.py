"""Operations, named as OpenMetadata's MetadataOperation values so policies carry over."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class Operation(StrEnum):
    ALL = "All"
    VIEW_ALL = "ViewAll"
    VIEW_BASIC = "ViewBasic"
    CREATE = "Create"
    DELETE = "Delete"
    EDIT_ALL = "EditAll"
    EDIT_DESCRIPTION = "EditDescription"
    EDIT_DISPLAY_NAME = "EditDisplayName"
    EDIT_OWNERS = "EditOwners"
    EDIT_TAGS = "EditTags"
    EDIT_USERS = "EditUsers"
    EDIT_ROLE = "EditRole"
    EDIT_POLICY = "EditPolicy"
    EDIT_STATUS = "EditIngestionPipelineStatus"
    CREATE_INGESTION_PIPELINE_AUTOMATOR = "CreateIngestionPipelineAutomator"
    GENERATE_TOKEN = "GenerateToken"
    # Running a workflow; a bot allowed it on a service or pipeline reads its secrets in the clear.
    DEPLOY = "Deploy"
    VIEW_USAGE = "ViewUsage"
    EDIT_USAGE = "EditUsage"
    EDIT_LINEAGE = "EditLineage"
    VIEW_SAMPLE_DATA = "ViewSampleData"
    EDIT_SAMPLE_DATA = "EditSampleData"
    VIEW_DATA_PROFILE = "ViewDataProfile"
    EDIT_DATA_PROFILE = "EditDataProfile"
    VIEW_QUERIES = "ViewQueries"
    EDIT_QUERIES = "EditQueries"


# JSON Patch paths that need less than EditAll, as in OpenMetadata.
PATCH_PATH_OPERATIONS: dict[str, Operation] = {
    "description": Operation.EDIT_DESCRIPTION,
    "displayName": Operation.EDIT_DISPLAY_NAME,
    "owners": Operation.EDIT_OWNERS,
    "tags": Operation.EDIT_TAGS,
}


# For a kind of entity, whether an operation is allowed on every entity, on none, or depends on
# the entity (conditional rules, built-in entities): what an authorizer's ``scope`` answers.
Scope = Literal["all", "none", "each"]
