"""boto3 sessions and clients for fitcheck, and AWS errors turned into one clear line.

- Clients use botocore's *adaptive* retry mode (client-side rate limiting on throttling
  plus exponential back-off) with :data:`MAX_ATTEMPTS` attempts.
- botocore itself honours ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` (used by
  the tests to talk to a local moto server); nothing here overrides it.
- :func:`aws_errors` maps missing credentials, an unknown region, access denied, an
  unreachable endpoint and throttling that outlasted the retries to
  :class:`~fitcheck.errors.InputError` (exit code 2) or :class:`AwsFailure` (exit code 1).
  Messages never contain credentials: they name the service, the action and the region.

boto3 is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fitcheck import __version__
from fitcheck.errors import FitcheckError, InputError, Location, closest

if TYPE_CHECKING:  # pragma: no cover
    import boto3

MAX_ATTEMPTS = 10
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
PRICING_REGION = "us-east-1"  # the Price List API answers in us-east-1 (and two others)

_ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "ExpiredToken",
    "ExpiredTokenException",
    "AuthFailure",
    "MissingAuthenticationToken",
}
_THROTTLED = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
}


class AwsFailure(FitcheckError):
    """An AWS call failed for a reason that is not the user's input (exit code 1)."""


def make_session(region: str | None = None) -> boto3.Session:
    """A boto3 session in ``region`` (else the environment's / profile's region)."""
    import boto3

    return boto3.Session(region_name=region) if region else boto3.Session()


def resolve_region(session: boto3.Session, region: str | None, service: str = "sagemaker") -> str:
    """The region to use, checked against botocore's list of regions for ``service``.

    Raises :class:`InputError` when there is none or it is not a region of ``service``.
    """
    name = region or session.region_name
    if not name:
        raise InputError(
            "no AWS region: pass --region (e.g. --region us-east-1) or set AWS_DEFAULT_REGION",
            Location(field="--region"),
        )
    known: set[str] = set()
    for partition in session.get_available_partitions():
        known.update(session.get_available_regions(service, partition_name=partition))
    if known and name not in known:
        hint = closest(name, known)
        did_you_mean = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise InputError(
            f"{name!r} is not an AWS region with {service}{did_you_mean}",
            Location(field="--region"),
        )
    return name


def client(session: boto3.Session, service: str, region: str, *, max_workers: int = 10) -> Any:
    """A botocore client with adaptive retries, timeouts and a pool sized for ``max_workers``."""
    from botocore.config import Config

    config = Config(
        region_name=region,
        retries={"mode": "adaptive", "total_max_attempts": max_attempts()},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=max(10, max_workers),
        user_agent_extra=f"fitcheck/{__version__}",
    )
    return session.client(service, config=config)


def max_attempts() -> int:
    """Attempts per call: ``AWS_MAX_ATTEMPTS`` when set (botocore's own variable), else 10."""
    raw = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return int(raw) if raw.isdigit() and int(raw) >= 1 else MAX_ATTEMPTS


def endpoint_hint() -> str:
    """' (endpoint http://...)' when AWS_ENDPOINT_URL redirects the calls, else ''."""
    url = os.environ.get("AWS_ENDPOINT_URL")
    return f" (endpoint {url})" if url else ""


def translate(err: BaseException, action: str, region: str | None) -> BaseException:
    """The exception to raise instead of a botocore error (``err`` itself when unknown)."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        CredentialRetrievalError,
        EndpointConnectionError,
        InvalidConfigError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
        SSOError,
        TokenRetrievalError,
    )

    where = f" in {region}" if region else ""
    if isinstance(err, NoCredentialsError | PartialCredentialsError | TokenRetrievalError):
        return InputError(
            f"no usable AWS credentials to {action}: configure a profile (aws configure / "
            "AWS_PROFILE), an SSO login or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
            "environment variables"
        )
    if isinstance(err, SSOError):
        return InputError(
            f"the AWS SSO session needed to {action} is missing or expired: run 'aws sso login' "
            "for the profile in use (AWS_PROFILE) and try again"
        )
    if isinstance(err, CredentialRetrievalError):
        # The provider's own message can echo a credential_process's output: not shown.
        provider = err.kwargs.get("provider", "the configured credential source")
        return InputError(
            f"the AWS credential source {provider!r} failed to {action}: run it by hand (or "
            "'aws sts get-caller-identity') to see why"
        )
    if isinstance(err, InvalidConfigError):
        first = str(err).splitlines()[0][:200] if str(err) else "invalid"
        return InputError(
            f"the AWS configuration is not valid ({first}): fix ~/.aws/config or AWS_CONFIG_FILE"
        )
    if isinstance(err, ProfileNotFound):
        return InputError(f"AWS profile {err.kwargs.get('profile')!r} not found (AWS_PROFILE)")
    if isinstance(err, NoRegionError):
        return InputError(
            "no AWS region: pass --region or set AWS_DEFAULT_REGION", Location(field="--region")
        )
    if isinstance(err, EndpointConnectionError | ConnectTimeoutError | ConnectionClosedError):
        return InputError(
            f"cannot reach the AWS API to {action}{where}{endpoint_hint()}: check the network, "
            "a proxy, or the region"
        )
    if isinstance(err, ReadTimeoutError):
        return AwsFailure(f"the AWS API did not answer in time to {action}{where}{endpoint_hint()}")
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", ""))
        operation = getattr(err, "operation_name", "") or "the call"
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _ACCESS_DENIED or status == 403 or code == "403":
            code = code if code in _ACCESS_DENIED else "HTTP 403"
            return InputError(
                f"access denied to {action}{where} ({code} on {operation}): the credentials "
                f"in use lack the permission or are invalid; see docs/aws.md for the IAM policy"
            )
        if code in _THROTTLED:
            return AwsFailure(
                f"AWS kept throttling {operation} to {action}{where} after {max_attempts()} "
                "attempts; retry later"
            )
        return AwsFailure(f"AWS refused {operation} to {action}{where}: {code}: {error.get('Message', '')}")
    return err


@contextmanager
def aws_errors(action: str, region: str | None = None) -> Iterator[None]:
    """Turn botocore errors raised in the block into :class:`InputError` / :class:`AwsFailure`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as err:
        replacement = translate(err, action, region)
        if replacement is err:
            raise
        raise replacement from None
