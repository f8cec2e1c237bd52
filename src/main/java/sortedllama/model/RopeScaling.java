package sortedllama.model;

/**
 * Llama 3.1's "llama3" rope scaling: low frequencies are divided by {@code factor}, high ones
 * are kept, and the band between them is interpolated smoothly.
 */
public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {

    /** Scales one inverse frequency (radians per position) as Llama 3.1 does. */
    public double scale(double invFreq) {
        double wavelength = 2 * Math.PI / invFreq;
        double lowFreqWavelength = originalContextLength / lowFreqFactor;
        double highFreqWavelength = originalContextLength / highFreqFactor;
        if (wavelength < highFreqWavelength) return invFreq;
        if (wavelength > lowFreqWavelength) return invFreq / factor;
        double smooth = (originalContextLength / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * invFreq / factor + smooth * invFreq;
    }
}
