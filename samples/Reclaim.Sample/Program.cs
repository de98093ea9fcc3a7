System.Console.WriteLine("Reclaim sample: coming in this change.");
