package sortedllama.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sortedllama.BadInputException;

/**
 * Reads a SentencePiece {@code tokenizer.model} (a ModelProto, protobuf) with the fields encoding
 * needs: the pieces with scores and types, the model type, byte fallback, BOS/EOS, the unknown
 * piece's surface and the normaliser's whitespace flags. Only what {@link SentencePieceBpe}
 * reproduces exactly is accepted: BPE models whose normaliser has no character map ("identity",
 * as LLaMA's); anything else is refused by name rather than mis-encoded.
 */
final class SentencePieceModelReader {
    private static final int BPE = 2;
    private static final String[] MODEL_TYPES = {"?", "unigram", "bpe", "word", "char"};

    private SentencePieceModelReader() {}

    static SentencePieceBpe read(Path path) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new BadInputException(path + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return parse(data).build();
        } catch (ProtobufWire.Malformed e) {
            throw new BadInputException(path + ": truncated or corrupt SentencePiece model (" + e.getMessage() + ")", e);
        } catch (BadInputException e) {
            throw new BadInputException(path + ": " + e.getMessage(), e);
        }
    }

    /** The fields read, with ModelProto's defaults. */
    private static final class Fields {
        final List<String> pieces = new ArrayList<>();
        final List<Float> scores = new ArrayList<>();
        final List<Integer> types = new ArrayList<>();
        int modelType = 1, bos = 1, eos = 2;
        boolean byteFallback, whitespaceAsSuffix;
        String unkSurface = SentencePieceBpe.DEFAULT_UNK_SURFACE;
        String normalizerName = "";
        boolean hasCharsMap, hasDenormalizer;
        boolean addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;

        SentencePieceBpe build() {
            if (pieces.isEmpty()) throw new BadInputException("not a SentencePiece model (it has no pieces)");
            if (modelType != BPE) {
                String name = modelType > 0 && modelType < MODEL_TYPES.length ? MODEL_TYPES[modelType] : "type " + modelType;
                throw new BadInputException("SentencePiece " + name + " models are not supported (BPE models, as LLaMA's, are)");
            }
            if (hasCharsMap) {
                throw new BadInputException("SentencePiece normaliser \"" + normalizerName
                        + "\" is not supported (only \"identity\", as LLaMA uses, is)");
            }
            if (hasDenormalizer) throw new BadInputException("SentencePiece denormaliser rules are not supported");
            if (whitespaceAsSuffix) throw new BadInputException("treat_whitespace_as_suffix is not supported");
            float[] s = new float[scores.size()];
            int[] t = new int[types.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
                t[i] = types.get(i);
            }
            var normalizer = new SentencePieceNormalizer(addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces);
            return new SentencePieceBpe(pieces.toArray(String[]::new), s, t, bos, eos, byteFallback, normalizer, unkSurface);
        }
    }

    private static Fields parse(byte[] data) {
        Fields f = new Fields();
        ProtobufWire model = new ProtobufWire(data);
        while (model.nextField()) {
            switch (model.fieldNumber()) {
                case 1 -> readPiece(model.message(), f);
                case 2 -> readTrainerSpec(model.message(), f);
                case 3 -> readNormalizerSpec(model.message(), f);
                case 5 -> f.hasDenormalizer = hasCharsMap(model.message());
                default -> model.skip();
            }
        }
        return f;
    }

    private static void readPiece(ProtobufWire p, Fields f) {
        String piece = "";
        float score = 0;
        int type = PieceTypes.NORMAL;
        while (p.nextField()) {
            switch (p.fieldNumber()) {
                case 1 -> piece = p.string();
                case 2 -> score = p.float32();
                case 3 -> type = p.int32();
                default -> p.skip();
            }
        }
        f.pieces.add(piece);
        f.scores.add(score);
        f.types.add(type);
    }

    private static void readTrainerSpec(ProtobufWire t, Fields f) {
        while (t.nextField()) {
            switch (t.fieldNumber()) {
                case 3 -> f.modelType = t.int32();
                case 24 -> f.whitespaceAsSuffix = t.bool();
                case 35 -> f.byteFallback = t.bool();
                case 41 -> f.bos = t.int32();
                case 42 -> f.eos = t.int32();
                case 44 -> f.unkSurface = t.string();
                default -> t.skip();
            }
        }
    }

    private static void readNormalizerSpec(ProtobufWire n, Fields f) {
        while (n.nextField()) {
            switch (n.fieldNumber()) {
                case 1 -> f.normalizerName = n.string();
                case 2 -> f.hasCharsMap = n.bytesField().length > 0;
                case 3 -> f.addDummyPrefix = n.bool();
                case 4 -> f.removeExtraWhitespaces = n.bool();
                case 5 -> f.escapeWhitespaces = n.bool();
                default -> n.skip();
            }
        }
    }

    private static boolean hasCharsMap(ProtobufWire spec) {
        boolean found = false;
        while (spec.nextField()) {
            if (spec.fieldNumber() == 2) found |= spec.bytesField().length > 0;
            else spec.skip();
        }
        return found;
    }
}
