/**
 * From data files to training {@link sortedllama.train.Batch}es.
 *
 * <p>The pipeline, in the order {@link sortedllama.train.data.TrainingData#load} runs it:
 * <ol>
 *   <li>a {@link sortedllama.train.data.DataFormat} reads records (Alpaca, TriviaQA, prompt/completion
 *       JSON Lines, plain text) and an {@link sortedllama.train.data.ExampleEncoder} turns each into an
 *       {@link sortedllama.train.data.Example}: token ids and where the trained-on part starts;
 *       malformed records go to {@link sortedllama.train.data.BadRecords} (skip and count, or fail);</li>
 *   <li>{@link sortedllama.train.data.LengthLimit} fits examples to the sequence length (truncate, drop
 *       or split, always counted);</li>
 *   <li>{@link sortedllama.train.data.ValidationSplit} holds out a stable fraction (or a second file
 *       is the validation set);</li>
 *   <li>a {@link sortedllama.train.data.BatchPlanner} lays out each epoch (padded or packed rows),
 *       {@link sortedllama.train.data.PlannedBatch} materialises a Batch, and
 *       {@link sortedllama.train.data.BatchStream} walks the epochs from a resumable
 *       {@link sortedllama.train.data.DataPosition}.</li>
 * </ol>
 */
package sortedllama.train.data;
