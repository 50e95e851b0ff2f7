import { ListView } from '../components/list-view';

export function SoftwarePage() {
  return (
    <ListView
      entity="software"
      title="Software"
      example="vendor:microsoft"
      columns={[
        { field: 'name' },
        { field: 'vendor' },
        { field: 'weaknesses' },
        { field: 'exposedMachines' },
        { field: 'publicExploit' },
        { field: 'activeAlert' },
      ]}
    />
  );
}
