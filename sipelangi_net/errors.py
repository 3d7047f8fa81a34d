"""The exception tree of sipelangi-net.

Every error the toolkit raises on purpose derives from :class:`SipelangiError`;
only the CLI catches it, prints its message and maps it to an exit code.
Messages say what was wrong, where (file and field, host, ticket) and what to do.

::

    SipelangiError
    ├── ConfigError                 bad input the user can fix
    │   ├── InventoryError          inventory/ (hosts, groups, catalogues)
    │   ├── SecretsError            credentials missing or unsafe
    │   ├── RequestError            a request (Surat Permohonan) with a bad field
    │   ├── PlaybookError           a playbook file (playbooks/*.yaml) with a bad step or option
    │   ├── OutputsError            a step's outputs do not fit its schema (names ticket, step, field)
    │   ├── DocumentInputError      bad input for a document (signer name/NIP, scan file, period)
    │   └── AccountError            no such account, a username taken, a bad role, OPD or delegation
    ├── TicketError                 the ticket record
    │   ├── TicketNotFound          (LookupError) no such ticket
    │   ├── WorkflowError           a move the SOP does not allow (names the missing step)
    │   ├── Forbidden               (PermissionError) the account's role may not do that step
    │   ├── ConflictError           the ticket changed under the caller; retry
    │   │   └── SlotTaken           the installation slot is taken by another ticket (names it)
    │   ├── IntegrityError          the hash chain of events is broken
    │   ├── StoreError              the ticket store cannot be read or reached
    │   ├── IncompleteTicketError   the ticket lacks what a document needs (names the missing item)
    │   ├── MalformedTicketError    a stored ticket does not fit the schema (names ticket, event, field)
    │   ├── Busy                    another run holds the ticket's or a device's lock (or lease)
    │   │   └── LeaseLost           a server lease this run held has expired and was taken over
    │   ├── DeliveryError           a notification could not be delivered (recorded, retried)
    │   └── AuthError               (PermissionError) password or token refused (HTTP 401)
    │       └── LoginThrottled      too many failed logins for that username lately; wait
    ├── EnvironmentProblem          this machine cannot do what was asked
    │   ├── NotRootError            (PermissionError) the lab needs root
    │   ├── NotLinuxError           the lab (and the monitor's ICMP probe) need Linux
    │   ├── MissingPackageError     a program it runs is not installed (doctor, lab preflight)
    │   ├── RunLocked               another run of the same job holds its lock (compliance)
    │   └── StorageError            (exit 74) a file or folder cannot be written: disk full, read-only
    ├── LabError                    building, inspecting or tearing down the lab
    │   └── LabNotRunningError      a lab command needs a lab that is up
    ├── DeviceError                 talking to one device
    │   ├── HostKeyError            SSH host key unknown or changed
    │   ├── DeviceAuthError         (PermissionError) credentials refused
    │   └── DeviceTimeout           (TimeoutError) no answer in time
    └── MeasurementError            a bandwidth test could not be made or read (never a pass)
"""

from __future__ import annotations


class SipelangiError(Exception):
    """Root of every error sipelangi-net raises on purpose."""

    exit_code = 1


class ConfigError(SipelangiError):
    """Bad input that the user can fix (files, fields, options)."""

    exit_code = 2


class InventoryError(ConfigError):
    """The inventory (Nornir hosts/groups/defaults or a catalogue) is invalid."""


class PlaybookError(ConfigError):
    """A playbook file has an unknown action, a bad option or a malformed step."""


class SecretsError(ConfigError):
    """Credentials are missing, unreadable or stored unsafely."""


class RequestError(ConfigError):
    """A request (Surat Permohonan) has a missing or invalid field."""


class OutputsError(ConfigError):
    """The outputs of a move do not fit its SOP step's schema (tickets/outputs.py); names the field."""


class DocumentInputError(ConfigError):
    """Bad input for a document: a signer's name or NIP, the signed scan, the report period."""


class TicketError(SipelangiError):
    """Something about the ticket record."""

    exit_code = 6


class TicketNotFound(TicketError, LookupError):
    """No ticket with that id."""


class WorkflowError(TicketError):
    """The SOP does not allow this move now; the message names the missing step."""


class Forbidden(TicketError, PermissionError):
    """The SOP does not let this account do this step (role, OPD, delegation); names the role needed."""


class ConflictError(TicketError):
    """The ticket changed between reading and writing; the caller may retry."""


class SlotTaken(ConflictError):
    """The installation slot a step 5 or 6 records overlaps other tickets' beyond the team's capacity."""


class IntegrityError(TicketError):
    """The ticket's hash chain does not verify."""


class StoreError(TicketError):
    """The ticket store cannot be read or reached."""


class IncompleteTicketError(TicketError):
    """The ticket lacks what a document needs (no plan, no test result, no signer); names the item."""


class MalformedTicketError(TicketError):
    """A stored ticket does not fit the schema: skipped by fleet-wide work, fatal to work on itself."""


class Busy(TicketError):
    """Another run is changing the same ticket or device; this one changed nothing."""


class LeaseLost(Busy):
    """A lease this run held on the server is gone (expired and taken over): stop before changing more."""


class DeliveryError(TicketError):
    """One notification could not be delivered (refused before sending, or by the other end)."""


class AuthError(TicketError, PermissionError):
    """Authentication refused: unknown user or wrong password, a token unknown, expired or revoked,
    a disabled account. The message never says which of user and password was wrong."""


class LoginThrottled(AuthError):
    """Too many failed logins for that username within the window; refused without checking."""


class AccountError(ConfigError):
    """An account operation that cannot be done: no such account, a username taken, a bad delegation."""


class EnvironmentProblem(SipelangiError):
    """This machine cannot do what was asked."""

    exit_code = 3


class NotRootError(EnvironmentProblem, PermissionError):
    """The operation needs root (network namespaces, daemons)."""


class NotLinuxError(EnvironmentProblem):
    """The operation needs Linux (network namespaces, FRR, Open vSwitch; Linux's ICMP sockets)."""


class MissingPackageError(EnvironmentProblem):
    """A program sipelangi-net runs (sipelangi_net/programs.txt) is not installed."""


class RunLocked(EnvironmentProblem):
    """Another run of the same job (a compliance check) holds its lock; this one did nothing."""


class StorageError(EnvironmentProblem):
    """A file or folder cannot be written: the disk is full, read-only, or a path is not a folder.

    The message names the folder and the file, why, and what was (not) done; exit 74 (EX_IOERR).
    """

    exit_code = 74

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message

    def but(self, outcome: str) -> StorageError:
        """The same error, saying what the run did (not do) because of it: ``nothing was pushed``."""
        return StorageError(self.path, f"{self.detail}; {outcome}")


class LabError(SipelangiError):
    """Building, inspecting or tearing down the lab failed."""

    exit_code = 4


class LabNotRunningError(LabError):
    """A lab command needs a lab that is up."""


class DeviceError(SipelangiError):
    """Talking to one device failed."""

    exit_code = 5

    def __init__(self, host: str, message: str) -> None:
        super().__init__(f"{host}: {message}")
        self.host = host


class HostKeyError(DeviceError):
    """The device's SSH host key is unknown or differs from known_hosts."""


class DeviceAuthError(DeviceError, PermissionError):
    """The device refused the credentials."""


class DeviceTimeout(DeviceError, TimeoutError):
    """The device did not answer in time."""


class ChangedSince(DeviceError):
    """A device's running config is no longer the one the approved change set was computed from."""


class MeasurementError(SipelangiError):
    """A bandwidth test could not be made or its result cannot be trusted (server, tool, output)."""

    exit_code = 7
