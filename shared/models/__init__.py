"""Every model of the domain; importing this package registers them all on one metadata."""

from shared.models.audit import AuditEntry
from shared.models.case import (
    Case,
    CaseChannel,
    CaseEvent,
    CaseFlag,
    CaseHandler,
    Document,
    DocumentSource,
    InternalNote,
    Message,
    MessageDirection,
)
from shared.models.citizen import Citizen, normalize_personnummer
from shared.models.eservice import (
    AssignmentRule,
    Category,
    Channel,
    ColourLabel,
    EService,
    EServiceVersion,
    HandlerLink,
    LegalBasis,
    MessageTemplate,
    NotificationEvent,
    NotificationSetting,
    PersonalDataCategory,
    Recipient,
    VersionState,
)
from shared.models.export import ExportJob, ExportState
from shared.models.group import GroupMember, HandlerGroup
from shared.models.job import Counter, JobLock, JobRun
from shared.models.mailing import Mailing, MailingAnswer, MailingRecipient
from shared.models.notification import OutboxMessage, OutboxState, PortalNotice
from shared.models.retention import (
    DeletionRecord,
    DestructionList,
    DestructionListItem,
    DestructionListState,
    RetentionAction,
    RetentionRule,
)
from shared.models.status import DeletePolicy, Status, StatusGroup, StatusKind
from shared.models.subtask import Subtask, SubtaskMessage, SubtaskStatus, subtask_document_grant
from shared.models.user import Absence, HandlerDisplay, StaffUser, UserPreference

__all__ = [name for name in dir() if not name.startswith("_")]
