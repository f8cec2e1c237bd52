package sortedllama.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import sortedllama.FuzzInvariant;
import sortedllama.io.FuzzSeeds;
import sortedllama.model.ExitSet;
import sortedllama.model.TestModels;

/**
 * Arbitrary bytes as the body of a completion or chat request: the parser returns a request or
 * refuses with an ApiException (the server's 400) or a BadInputException ({@link FuzzInvariant}).
 * An input's first byte picks the endpoint. Seeds: {@code
 * src/test/resources/sortedllama/server/RequestParserFuzzTestInputs/anyRequest/}, written by {@link FuzzSeeds}.
 */
class RequestParserFuzzTest {
    static final ServingModel MODEL = ServingModel.of(TestModels.random(TestModels.tinyConfig(2, ByteTokenizer.VOCAB, 64), 1, 1f),
            new ByteTokenizer(), "fuzz", ExitSet.all(2));
    /** Without and with chat messages merged for the template: bit 1 of an input's first byte picks (bit 0 the endpoint). */
    static final RequestParser[] PARSERS = {new RequestParser(MODEL, 16, false), new RequestParser(MODEL, 16, true)};

    @FuzzTest(maxDuration = "30s")
    void anyRequest(byte[] data) {
        if (data.length == 0) return;
        String target = FuzzSeeds.REQUEST_TARGETS.get(data[0] & 1);
        RequestParser parser = PARSERS[(data[0] >> 1) & 1];
        parse(parser, Arrays.copyOfRange(data, 1, data.length), target.equals("chat") ? ApiKind.CHAT : ApiKind.COMPLETION);
    }

    private static void parse(RequestParser parser, byte[] body, ApiKind kind) {
        FuzzInvariant.check(body.length, () -> parser.parse(body, kind), ApiException.class);
    }
}
