package io.millrace.core.api;

/** A location basins can be created in (spec section 4.5): its name and whether it is private. */
public record LocationInfo(String name, boolean isPrivate) {}
