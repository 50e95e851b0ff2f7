import { ListView } from '../components/list-view';

export function ProfilesPage() {
  return (
    <ListView
      entity="profiles"
      title="Profiles"
      example="kind:OS"
      intro={
        <p className="muted">
          Dynamic OS and OS_VERSION profiles, made from what Defender says about each device's OS.
        </p>
      }
      columns={[
        { field: 'name' },
        { field: 'kind' },
        { field: 'osPlatform', label: 'OS' },
        { field: 'osVersion', label: 'OS version' },
        { field: 'hostCount', label: 'Hosts' },
        { field: 'connector' },
      ]}
    />
  );
}
