package sortedllama.server;

import sortedllama.infer.Generator;

/**
 * How a generation ended and what it cost (its text went to the request's output as it came).
 *
 * @param finishReason          "stop" (EOS, a turn-ending token or a stop string) or "length"
 *                              (max_tokens, the end of the context, or the request timeout)
 * @param decodeTokensPerSecond tokens after the first per second, as {@link Generator.Result} counts
 * @param result                the generator's own report, or null when generation was cut short
 *                              (stop string, turn-ending token other than EOS, timeout)
 * @param timedOut              the request timeout cut it short (finish reason "length")
 */
record Completion(int promptTokens, int completionTokens, String finishReason, double decodeTokensPerSecond,
                  Generator.Result result, boolean timedOut) {}
