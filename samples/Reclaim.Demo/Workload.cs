using Reclaim.Samples;

namespace Reclaim.Demo;

/// <summary>
/// The clients: worker threads that send requests to the <see cref="CacheService"/> until stopped. A request goes to a
/// tenant chosen by its traffic share and reads one of its items, keys drawn Zipf(0.9) from a million per tenant (about
/// 8 GiB of values each: the working set is many times any limit); a quarter of the requests also read a catalog item
/// (Zipf over 100,000). Every value read is checked against its key.
/// </summary>
internal sealed class Workload
{
    public const int KeysPerTenant = 1_000_000;
    public const int CatalogItems = 100_000;
    public const double CatalogReadShare = 0.25;
    public const double ZipfExponent = 0.9;

    private readonly Client[] _clients;

    /// <param name="service">The service to send requests to.</param>
    /// <param name="threads">How many client threads.</param>
    /// <param name="seed">The seed of the first thread's random generators (the others follow it).</param>
    /// <param name="failed">Called with what a thread threw (an OutOfMemoryException above all); the thread then ends.</param>
    public Workload(CacheService service, int threads, int seed, Action<Exception> failed)
    {
        _clients = [.. Enumerable.Range(0, threads).Select(i => new Client(service, i, seed, failed))];
    }

    /// <summary>Requests served so far.</summary>
    public long Requests => _clients.Sum(c => c.Requests);

    /// <summary>Values that did not belong to their key (must stay 0).</summary>
    public long WrongValues => _clients.Sum(c => c.WrongValues);

    public void Start()
    {
        foreach (Client client in _clients)
        {
            client.Start();
        }
    }

    /// <summary>Tells every thread to stop after its current request, without waiting.</summary>
    public void RequestStop()
    {
        foreach (Client client in _clients)
        {
            client.RequestStop();
        }
    }

    /// <summary>Tells every thread to stop and waits for them; false if one did not stop within <paramref name="timeout"/>.</summary>
    public bool Stop(TimeSpan timeout)
    {
        RequestStop();
        return _clients.All(c => c.Join(timeout));
    }

    /// <summary>One client thread with its own random generators. Its counters are written by its thread only.</summary>
    private sealed class Client
    {
        private readonly CacheService _service;
        private readonly Action<Exception> _failed;
        private readonly ZipfSampler _items;
        private readonly ZipfSampler _catalog;
        private readonly double[] _cumulativeShares;
        private readonly Thread _thread;
        private long _requests;
        private long _wrongValues;
        private volatile bool _stopping;

        public Client(CacheService service, int index, int seed, Action<Exception> failed)
        {
            _service = service;
            _failed = failed;
            _items = new ZipfSampler(KeysPerTenant, ZipfExponent, seed + (2 * index));
            _catalog = new ZipfSampler(CatalogItems, ZipfExponent, seed + (2 * index) + 1);
            double sum = 0;
            _cumulativeShares = [.. service.Tenants.Select(t => sum += t.TrafficShare)];
            _thread = new Thread(Run) { IsBackground = true, Name = $"client {index}" };
        }

        public long Requests => Volatile.Read(ref _requests);

        public long WrongValues => Volatile.Read(ref _wrongValues);

        public void Start() => _thread.Start();

        public void RequestStop() => _stopping = true;

        public bool Join(TimeSpan timeout) => _thread.Join(timeout);

        private void Run()
        {
            Random random = _items.Random;
            try
            {
                while (!_stopping)
                {
                    Tenant tenant = PickTenant(random);
                    long key = _items.Next();
                    Check(_service.GetItem(tenant, key, random), key);
#pragma warning disable CA5394 // A seeded pseudo-random generator is what a reproducible workload wants.
                    if (random.NextDouble() < CatalogReadShare)
#pragma warning restore CA5394
                    {
                        long item = _catalog.Next();
                        Check(_service.GetCatalogItem(item, random), item);
                    }

                    Volatile.Write(ref _requests, _requests + 1);
                }
            }
#pragma warning disable CA1031 // Whatever it is (an OutOfMemoryException above all), the process reports it and ends.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _failed(exception);
            }
        }

        private Tenant PickTenant(Random random)
        {
#pragma warning disable CA5394 // See Run.
            double u = random.NextDouble();
#pragma warning restore CA5394
            for (int i = 0; i < _cumulativeShares.Length - 1; i++)
            {
                if (u < _cumulativeShares[i])
                {
                    return _service.Tenants[i];
                }
            }

            return _service.Tenants[^1];
        }

        private void Check(byte[] value, long key)
        {
            if (!CacheService.IsValueOf(value, key))
            {
                Volatile.Write(ref _wrongValues, _wrongValues + 1);
            }
        }
    }
}
