package sortedllama.cli;

public final class Main {
    public static void main(String[] args) {
        System.out.println("sorted-llama (work in progress)");
    }
}
