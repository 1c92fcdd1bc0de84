package org.ternary4j.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The module graph as rules over the compiled main classes of every module the CLI assembles
 * (cli sits on top of the reactor, so its test class path holds them all). A module may use only
 * the modules before it in the pipeline, and only the ONNX model layer decodes ONNX tensors.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.ternary4j");

    /** Each module's package and the modules it may depend on (besides itself). */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "core", List.of(),
            "formats", List.of("core"),
            "eval", List.of("core", "formats"),
            "ptq", List.of("core", "formats", "eval"),
            "qat", List.of("core", "formats"),
            "runtime", List.of("core", "formats"),
            "bench", List.of("core", "formats", "eval", "runtime"));

    @Test
    void eachModuleUsesOnlyTheModulesBeforeIt() {
        List<String> modules = List.of("core", "formats", "eval", "ptq", "qat", "runtime", "bench", "cli");
        ALLOWED.forEach((module, allowed) -> {
            String[] forbidden = modules.stream().filter(m -> !m.equals(module) && !allowed.contains(m))
                    .map(m -> "org.ternary4j." + m + "..").toArray(String[]::new);
            noClasses().that().resideInAPackage("org.ternary4j." + module + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(forbidden)
                    .because(module + " may use only " + allowed)
                    .check(MAIN);
        });
    }

    /** Only the JDK, the Vector API and the given project packages. */
    private static void usesNoThirdPartyLibrary(String module, String... ownPackages) {
        String[] allowed = java.util.stream.Stream.concat(java.util.Arrays.stream(ownPackages), java.util.stream.Stream.of("java..", "jdk.incubator.vector.."))
                .toArray(String[]::new);
        noClasses().that().resideInAPackage("org.ternary4j." + module + "..")
                .should().dependOnClassesThat().resideOutsideOfPackages(allowed)
                .check(MAIN);
    }

    @Test
    void coreHasNoThirdPartyDependency() {
        usesNoThirdPartyLibrary("core", "org.ternary4j.core..");
    }

    /** What decodes a stored tensor or walks a read graph (writers of new models call none of these). */
    private static final java.util.regex.Pattern READERS = java.util.regex.Pattern.compile(
            "parseFrom|getRawData|get(Float|Int32|Int64|Double|Uint64)Data(List|Count)?|getExternalData.*|get(Node|Initializer)(List|Count)?");

    @Test
    void onlyTheOnnxModelLayerReadsOnnxProtobuf() {
        // Writing a whole new model (qat's export of a trained network, bench's synthetic MatMulNBits
        // graph) builds protobuf messages; reading one is the model layer's job alone.
        noClasses().that().resideOutsideOfPackages("org.ternary4j.formats.onnx..", "org.ternary4j.qat..", "org.ternary4j.bench..")
                .should().dependOnClassesThat().resideInAnyPackage("ai.onnx.proto..", "shade.com.google.protobuf..")
                .because("ONNX models are read through org.ternary4j.formats.onnx.OnnxModel")
                .check(MAIN);
        noClasses().that().resideOutsideOfPackage("org.ternary4j.formats.onnx..")
                .should().callMethodWhere(com.tngtech.archunit.core.domain.JavaCall.Predicates.target(
                        com.tngtech.archunit.base.DescribedPredicate.describe("an ONNX tensor decoder or graph walker",
                                t -> t.getOwner().getName().startsWith("ai.onnx.proto.OnnxMl$") && !t.getOwner().getName().endsWith("Builder")
                                        && READERS.matcher(t.getName()).matches())))
                .because("tensors and graphs are decoded and walked in one place, the ONNX model layer")
                .check(MAIN);
    }

    @Test
    void runtimeHasNoThirdPartyDependencyButTheModelLayer() {
        usesNoThirdPartyLibrary("runtime", "org.ternary4j..");
    }
}
