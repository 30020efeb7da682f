package io.millrace.core.api;

import io.millrace.core.WireNamed;

/** The {@code s2-provision-result} of a create or ensure. */
public enum ProvisionResult implements WireNamed {
  CREATED,
  UPDATED,
  NOOP
}
