package io.millrace.core.api;

/** The result of a create or ensure: the resource and whether it was created, updated or not. */
public record Provisioned<T>(T info, ProvisionResult result) {}
