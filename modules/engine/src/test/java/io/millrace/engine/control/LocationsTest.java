package io.millrace.engine.control;

import static io.millrace.engine.control.Await.code;
import static io.millrace.engine.control.Await.failure;
import static io.millrace.engine.control.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.millrace.core.ErrorCode;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.LocationInfo;
import io.millrace.core.config.BasinConfig;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocationsTest {
  private static final LocationSettings TWO =
      new LocationSettings(
          List.of(new LocationInfo("local", false), new LocationInfo("vault-1", true)), "local");

  private final MetadataStore store = SqliteMetadataStore.inMemory();
  private final ControlPlane control = new ControlPlane(store, Clock.systemUTC(), TWO);

  @AfterEach
  void close() {
    control.close();
    store.close();
  }

  @Test
  void theConfiguredLocationsAreListedAndTheConfiguredDefaultHoldsUntilOneIsSet() {
    assertThat(result(control.listLocations())).isEqualTo(TWO.available());
    assertThat(result(control.getDefaultLocation())).isEqualTo(new LocationInfo("local", false));
  }

  @Test
  void aDefaultSetOnOneNodeIsTheDefaultOnEveryNodeOfTheSameStore() {
    ControlPlane otherNode = new ControlPlane(store, Clock.systemUTC(), TWO);

    assertThat(result(control.setDefaultLocation("vault-1")))
        .isEqualTo(new LocationInfo("vault-1", true));

    assertThat(result(otherNode.getDefaultLocation()).name()).isEqualTo("vault-1");
    otherNode.close();
  }

  @Test
  void anUnknownLocationIsInvalidAndLeavesTheDefaultAlone() {
    assertThat(failure(control.setDefaultLocation("aws:us-east-1")).getMessage())
        .contains("unknown location 'aws:us-east-1'")
        .contains("local, vault-1");
    assertThat(code(control.setDefaultLocation(""))).isEqualTo(ErrorCode.INVALID);
    assertThat(result(control.getDefaultLocation()).name()).isEqualTo("local");
  }

  @Test
  void basinsWithoutALocationGetTheDefaultAndReportIt() {
    assertThat(result(control.createBasin("first-basin", null, null, null)).info().location())
        .isEqualTo("local");
    result(control.setDefaultLocation("vault-1"));
    assertThat(result(control.createBasin("second-basin", null, null, null)).info().location())
        .isEqualTo("vault-1");
    assertThat(result(control.ensureBasin("third-basin", BasinConfig.DEFAULT)).info().location())
        .isEqualTo("vault-1");
    assertThat(result(control.createBasin("fourth-basin", null, "local", null)).info().location())
        .isEqualTo("local");

    assertThat(result(control.listBasins(new ListRequest("", "", 10))).items())
        .extracting(BasinInfo::name, BasinInfo::location)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("first-basin", "local"),
            org.assertj.core.groups.Tuple.tuple("fourth-basin", "local"),
            org.assertj.core.groups.Tuple.tuple("second-basin", "vault-1"),
            org.assertj.core.groups.Tuple.tuple("third-basin", "vault-1"));
  }

  @Test
  void aBasinInAnUnknownLocationIsNotCreatedAndALocationIsFixedAtCreation() {
    assertThat(code(control.createBasin("nowhere-basin", null, "mars-1", null)))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(code(control.ensureBasin("nowhere-basin", BasinConfig.DEFAULT, "mars-1")))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(result(control.listBasins(new ListRequest("", "", 10))).items()).isEmpty();

    result(control.createBasin("fixed-basin", null, "local", null));
    assertThat(code(control.ensureBasin("fixed-basin", BasinConfig.DEFAULT, "vault-1")))
        .isEqualTo(ErrorCode.INVALID);
    assertThat(result(control.ensureBasin("fixed-basin", BasinConfig.DEFAULT, "local")).info())
        .extracting(BasinInfo::location)
        .isEqualTo("local");
  }

  @Test
  void settingsAreReadFromConfigAndMustBeConsistent() {
    LocationSettings read =
        LocationSettings.fromConfig(
            ConfigFactory.parseString(
                "millrace.locations { available = [{name = a}, {name = b, private = true}],"
                    + " default = b }"));
    assertThat(read)
        .isEqualTo(
            new LocationSettings(
                List.of(new LocationInfo("a", false), new LocationInfo("b", true)), "b"));
    assertThat(LocationSettings.fromConfig(ConfigFactory.defaultReference()))
        .isEqualTo(LocationSettings.DEFAULT);
    assertThatThrownBy(() -> new LocationSettings(List.of(new LocationInfo("a", false)), "b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LocationSettings(List.of(), "a"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new LocationSettings(
                    List.of(new LocationInfo("a", false), new LocationInfo("a", true)), "a"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
